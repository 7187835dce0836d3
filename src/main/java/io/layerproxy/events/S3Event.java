package io.layerproxy.events;

import org.jspecify.annotations.Nullable;

/**
 * One object change S3 (or MinIO, Ceph) announced: {@code created} false for a removal; the key decoded; the ETag
 * without quotes, when the event carried one; S3's per-key {@code sequencer}, when it carried one.
 */
public record S3Event(
        boolean created,
        String bucket,
        String key,
        @Nullable String etag,
        @Nullable String versionId,
        @Nullable String sequencer) {

    /**
     * Whether this event's sequencer is after {@code other}'s: S3's sequencers are hexadecimal strings of one key,
     * compared after padding the shorter with zeros on the left. Without both, the event is taken as newer.
     */
    boolean after(@Nullable String other) {
        if (sequencer == null || other == null) {
            return true;
        }
        int width = Math.max(sequencer.length(), other.length());
        String mine = "0".repeat(width - sequencer.length()) + sequencer.toUpperCase(java.util.Locale.ROOT);
        String theirs = "0".repeat(width - other.length()) + other.toUpperCase(java.util.Locale.ROOT);
        return mine.compareTo(theirs) > 0;
    }
}
