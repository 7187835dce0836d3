package io.layerproxy;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A bucket and a key in it: the address of one S3 object; with a {@code versionId}, of one version of it (S3's
 * {@code ?versionId=}), which never changes and is cached apart from the current version.
 *
 * <p>Bucket names follow S3's rules loosely (legacy us-east-1 names may hold upper case and underscores);
 * keys are 1 to 1024 bytes of UTF-8 without control characters.
 */
public record ObjectKey(String bucket, String key, @Nullable String versionId) {
    /** S3's limit on a key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;

    private static final Pattern BUCKET = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{1,254}");

    public ObjectKey {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(key, "key");
        if (!isValidBucket(bucket)) {
            throw new IllegalArgumentException("invalid bucket name: " + abbreviate(bucket));
        }
        if (key.isEmpty()) {
            throw new IllegalArgumentException("missing key after bucket '" + bucket + "'");
        }
        if (key.getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key longer than " + MAX_KEY_BYTES + " bytes");
        }
        if (hasControlCharacter(key)) {
            throw new IllegalArgumentException("key contains a control character");
        }
        if (versionId != null
                && (versionId.isEmpty() || versionId.length() > MAX_KEY_BYTES || hasControlCharacter(versionId))) {
            throw new IllegalArgumentException("invalid versionId: " + abbreviate(versionId));
        }
    }

    /** The current version of {@code key} in {@code bucket}. */
    public ObjectKey(String bucket, String key) {
        this(bucket, key, null);
    }

    /** This key's version {@code versionId}; null: the current version. */
    public ObjectKey withVersion(@Nullable String versionId) {
        // every request asks this: the same version is this key, not a second validation of it
        return java.util.Objects.equals(versionId, this.versionId) ? this : new ObjectKey(bucket, key, versionId);
    }

    private static boolean hasControlCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** Parses {@code bucket/key}, the form used by {@code --on-dne}, {@code --prefetch} and the batch endpoint. */
    public static ObjectKey parse(String bucketSlashKey) {
        int slash = bucketSlashKey.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("expected bucket/key, was: " + abbreviate(bucketSlashKey));
        }
        return new ObjectKey(bucketSlashKey.substring(0, slash), bucketSlashKey.substring(slash + 1));
    }

    public static boolean isValidBucket(String bucket) {
        return BUCKET.matcher(bucket).matches();
    }

    /** {@code bucket/key}, and {@code ?versionId=...} for a version. */
    @Override
    public String toString() {
        return versionId == null ? bucket + "/" + key : bucket + "/" + key + "?versionId=" + versionId;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
