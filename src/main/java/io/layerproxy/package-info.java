/**
 * The public API of layerproxy: {@link io.layerproxy.LayerProxy} and its builder, the {@link io.layerproxy.Layer}
 * and {@link io.layerproxy.Origin} it composes, and what a read returns. Types are non-null unless marked
 * {@code @Nullable} (checked by NullAway at compile time).
 */
@NullMarked
package io.layerproxy;

import org.jspecify.annotations.NullMarked;
