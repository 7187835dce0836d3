package io.layerproxy;

import org.jspecify.annotations.Nullable;

/**
 * A read could not be answered, almost always because the origin could not answer; {@link #kind()} says why, and
 * decides the status a client sees.
 */
public final class OriginException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why the origin could not answer. */
    public enum Kind {
        /** The origin refused the proxy's credentials for this object. */
        DENIED,
        /** The object changed since its metadata was read (a failed If-Match). */
        CHANGED,
        /** The origin could not be reached or answered with a server error. */
        UNAVAILABLE,
        /** The origin did not answer in time. */
        TIMEOUT,
        /** The origin answered with something that cannot be the object's bytes (short, wrong range). */
        BAD_RESPONSE,
        /** The proxy itself had no block memory free in time (every buffer in use by other reads): overload. */
        BUSY
    }

    private final Kind kind;

    public OriginException(Kind kind, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public OriginException(Kind kind, String message) {
        this(kind, message, null);
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The origin is down or silent, as opposed to answering with a refusal or wrong bytes: what opens the circuit,
     * allows a stale copy (stale-if-error) and fails readiness.
     */
    public boolean isOutage() {
        return kind == Kind.UNAVAILABLE || kind == Kind.TIMEOUT;
    }
}
