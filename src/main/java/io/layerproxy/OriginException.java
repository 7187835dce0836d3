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
        BUSY,
        /**
         * The origin refused the request itself, as S3 would refuse it to anyone (an invalid or unsupported
         * {@code versionId}, a 501 for what it does not implement): the client gets the origin's status and code.
         */
        REFUSED
    }

    private final Kind kind;
    private final int status;
    private final @Nullable String code;

    public OriginException(Kind kind, String message, @Nullable Throwable cause) {
        this(kind, message, 0, null, cause);
    }

    /** A {@link Kind#REFUSED} answer, or any kind, carrying the origin's HTTP status and S3 error code. */
    public OriginException(Kind kind, String message, int status, @Nullable String code, @Nullable Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.status = status;
        this.code = code;
    }

    /** The same failure, thrown again in another thread with that thread's stack. */
    public OriginException rethrown() {
        return new OriginException(kind, String.valueOf(getMessage()), status, code, this);
    }

    /** The origin's HTTP status when it answered with an error, else 0. */
    public int status() {
        return status;
    }

    /** The origin's error code (S3's {@code <Code>}) when it gave one, else null. */
    public @Nullable String code() {
        return code;
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
