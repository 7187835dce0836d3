package io.layerproxy.origin;

import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import java.time.Clock;
import java.time.Duration;

/**
 * Readiness: is the origin reachable? Any answer from it (found, not found, denied) says yes; a refused connection,
 * a timeout or an open circuit says no. Answers are reused for a few seconds, so a load balancer polling readiness
 * costs at most one HEAD per period.
 */
final class OriginProbe {
    static final Duration REUSE_FOR = Duration.ofSeconds(5);
    /** A key nobody stores; what S3 answers matters, not whether the object exists. */
    static final String PROBE_KEY = "layerproxy-readiness-probe";

    private final Origin origin;
    private final String bucket;
    private final Clock clock;
    private long checkedAtMillis = Long.MIN_VALUE;
    private String problem;

    OriginProbe(Origin origin, String bucket, Clock clock) {
        this.origin = origin;
        this.bucket = bucket;
        this.clock = clock;
    }

    /** Null when the origin answered, else why it did not. */
    synchronized String problem() {
        long now = clock.millis();
        if (checkedAtMillis != Long.MIN_VALUE && now - checkedAtMillis < REUSE_FOR.toMillis()) {
            return problem;
        }
        try {
            origin.head(new ObjectKey(bucket, PROBE_KEY));
            problem = null;
        } catch (OriginException e) {
            problem = e.isOutage() ? e.getMessage() : null;
        } catch (RuntimeException e) {
            problem = e.toString();
        }
        checkedAtMillis = clock.millis();
        return problem;
    }
}
