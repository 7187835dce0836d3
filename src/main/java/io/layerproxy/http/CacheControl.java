package io.layerproxy.http;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * How long a shared cache may use a version without asking S3 again (RFC 9111 §4.2.1), from the
 * {@code Cache-Control} and {@code Expires} S3 stored with the object: {@code s-maxage} over {@code max-age} over
 * {@code Expires}; {@code no-cache}, {@code no-store} and {@code private} make every use ask S3 first. Without any,
 * the proxy's own default. Internal, not API.
 */
public final class CacheControl {
    private CacheControl() {}

    /** The freshness lifetime of a version validated at {@code validatedAt}, never negative. */
    public static Duration lifetime(Map<String, String> headers, Duration fallback, Instant validatedAt) {
        String cacheControl = header(headers, "Cache-Control");
        if (cacheControl != null) {
            Long shared = null;
            Long maxAge = null;
            for (String part : cacheControl.split(",")) {
                String directive = part.trim().toLowerCase(Locale.ROOT);
                if (directive.equals("no-cache")
                        || directive.startsWith("no-cache=")
                        || directive.equals("no-store")
                        || directive.equals("private")
                        || directive.startsWith("private=")) {
                    return Duration.ZERO;
                }
                if (directive.startsWith("s-maxage=")) {
                    shared = seconds(directive.substring(9));
                } else if (directive.startsWith("max-age=")) {
                    maxAge = seconds(directive.substring(8));
                }
            }
            if (shared != null) {
                return Duration.ofSeconds(shared);
            }
            if (maxAge != null) {
                return Duration.ofSeconds(maxAge);
            }
        }
        String expires = header(headers, "Expires");
        if (expires != null) {
            Instant at = Preconditions.parseDate(expires);
            // an Expires that does not parse means "already expired" (RFC 9111 §5.3)
            return at == null || !at.isAfter(validatedAt) ? Duration.ZERO : Duration.between(validatedAt, at);
        }
        return fallback;
    }

    /**
     * Whether S3 said a shared cache must not keep this version at all: {@code no-store}, or {@code private}
     * (RFC 9111 §5.2.2.3, §5.2.2.7). Such objects are streamed through.
     */
    public static boolean forbidsStoring(Map<String, String> headers) {
        String cacheControl = header(headers, "Cache-Control");
        if (cacheControl == null) {
            return false;
        }
        for (String part : cacheControl.split(",")) {
            String directive = part.trim().toLowerCase(Locale.ROOT);
            if (directive.equals("no-store") || directive.equals("private") || directive.startsWith("private=")) {
                return true;
            }
        }
        return false;
    }

    /** A delta-seconds value; a malformed one counts as zero (stale), as RFC 9111 §1.2.2 asks. */
    private static long seconds(String value) {
        String digits = value.trim().replace("\"", "");
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit)) {
            return 0;
        }
        return digits.length() > 10 ? Integer.MAX_VALUE : Math.min(Long.parseLong(digits), Integer.MAX_VALUE);
    }

    private static @Nullable String header(Map<String, String> headers, String name) {
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** What a client's request asks of the cache (RFC 9111 §5.2.1). */
    public record Request(boolean revalidate, boolean onlyIfCached) {
        public static final Request NONE = new Request(false, false);
    }

    /**
     * A request's {@code Cache-Control} (and HTTP/1.0's {@code Pragma: no-cache}): {@code no-cache} or
     * {@code max-age=0} revalidate with S3 before answering; {@code only-if-cached} must not reach S3.
     */
    public static Request request(@Nullable String cacheControl, @Nullable String pragma) {
        boolean revalidate = pragma != null && pragma.toLowerCase(Locale.ROOT).contains("no-cache");
        boolean onlyIfCached = false;
        if (cacheControl != null) {
            for (String part : cacheControl.split(",")) {
                String directive = part.trim().toLowerCase(Locale.ROOT);
                if (directive.equals("no-cache") || directive.equals("max-age=0")) {
                    revalidate = true;
                } else if (directive.equals("only-if-cached")) {
                    onlyIfCached = true;
                }
            }
        }
        return new Request(revalidate, onlyIfCached);
    }
}
