package io.layerproxy.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the filter does when one of its requests ends (the access log, the in-flight count). A request ends when
 * the filter returns or, for a body written asynchronously, when its writer is done, whichever comes later.
 */
final class RequestEnd {
    private static final String ATTRIBUTE = RequestEnd.class.getName();

    private final AtomicInteger parties = new AtomicInteger(1);
    private final Runnable action;

    private RequestEnd(Runnable action) {
        this.action = action;
    }

    /** Begins {@code req}; the filter calls {@link #arrive()} when it returns. */
    static RequestEnd begin(HttpServletRequest req, Runnable action) {
        var end = new RequestEnd(action);
        req.setAttribute(ATTRIBUTE, end);
        return end;
    }

    /** One more party the request's end waits for; run what this returns when that party is done. */
    static Runnable fork(HttpServletRequest req) {
        if (!(req.getAttribute(ATTRIBUTE) instanceof RequestEnd end)) {
            return () -> {};
        }
        end.parties.incrementAndGet();
        return end::arrive;
    }

    void arrive() {
        if (parties.decrementAndGet() == 0) {
            action.run();
        }
    }
}
