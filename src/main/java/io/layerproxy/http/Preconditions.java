package io.layerproxy.http;

import io.layerproxy.ObjectInfo;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;

/**
 * RFC 9110 §13 conditional requests, servlet-free: {@link #evaluate} runs the preconditions in the order of
 * §13.2.2, one method per header. Headers are read through a function (name → combined value, or null).
 */
public final class Preconditions {
    /** What the preconditions decided. */
    public enum Outcome {
        PROCEED,
        NOT_MODIFIED,
        PRECONDITION_FAILED
    }

    private Preconditions() {}

    /** §13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since (GET/HEAD). */
    public static Outcome evaluate(String method, Function<String, String> headers, ObjectInfo info) {
        boolean getOrHead = "GET".equals(method) || "HEAD".equals(method);
        String ifMatch = headers.apply("If-Match");
        if (ifMatch != null) {
            if (!ifMatch(ifMatch, info.etag())) {
                return Outcome.PRECONDITION_FAILED; // step 1
            }
        } else {
            String ifUnmodifiedSince = headers.apply("If-Unmodified-Since");
            if (ifUnmodifiedSince != null && !ifUnmodifiedSince(ifUnmodifiedSince, info.lastModified())) {
                return Outcome.PRECONDITION_FAILED; // step 2
            }
        }
        String ifNoneMatch = headers.apply("If-None-Match");
        if (ifNoneMatch != null) {
            if (!ifNoneMatch(ifNoneMatch, info.etag())) {
                return getOrHead ? Outcome.NOT_MODIFIED : Outcome.PRECONDITION_FAILED; // step 3
            }
        } else if (getOrHead) {
            String ifModifiedSince = headers.apply("If-Modified-Since");
            if (ifModifiedSince != null && !ifModifiedSince(ifModifiedSince, info.lastModified())) {
                return Outcome.NOT_MODIFIED; // step 4
            }
        }
        return Outcome.PROCEED;
    }

    /** §13.1.1: true when "*" or any listed entity tag matches strongly (a weak tag never does). */
    public static boolean ifMatch(String header, String etag) {
        if (header.trim().equals("*")) {
            return true;
        }
        for (String tag : tags(header)) {
            if (strongMatch(tag, etag)) {
                return true;
            }
        }
        return false;
    }

    /** §13.1.4: true (proceed) unless the object was modified after the date; an invalid date is ignored. */
    public static boolean ifUnmodifiedSince(String header, Instant lastModified) {
        Instant date = parseDate(header);
        return date == null || lastModified == null || !seconds(lastModified).isAfter(date);
    }

    /** §13.1.2: true (proceed) when no listed tag matches weakly; "*" matches any existing object. */
    public static boolean ifNoneMatch(String header, String etag) {
        if (header.trim().equals("*")) {
            return false;
        }
        for (String tag : tags(header)) {
            if (opaque(tag).equals(opaque(etag))) {
                return false;
            }
        }
        return true;
    }

    /** §13.1.3: true (proceed) when modified after the date; an invalid date, or no Last-Modified, is ignored. */
    public static boolean ifModifiedSince(String header, Instant lastModified) {
        Instant date = parseDate(header);
        return date == null || lastModified == null || seconds(lastModified).isAfter(date);
    }

    /**
     * §13.1.5: true when the Range may be honoured: an entity tag that matches strongly, or a date equal to
     * Last-Modified. Anything else (a weak tag, an invalid date) means: send the whole object.
     */
    public static boolean ifRange(String header, ObjectInfo info) {
        String value = header.trim();
        if (value.startsWith("\"") || value.startsWith("W/")) {
            return strongMatch(value, info.etag());
        }
        Instant date = parseDate(value);
        return date != null
                && info.lastModified() != null
                && seconds(info.lastModified()).equals(date);
    }

    private static boolean strongMatch(String tag, String etag) {
        return !tag.startsWith("W/") && !etag.startsWith("W/") && tag.equals(etag);
    }

    /** The tag without its weakness indicator: weak comparison compares these. */
    private static String opaque(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }

    /** Entity tags of a comma-separated list; an unquoted element is kept as is and will not match. */
    private static String[] tags(String header) {
        String[] parts = header.split(",");
        for (int i = 0; i < parts.length; i++) {
            parts[i] = parts[i].trim();
        }
        return parts;
    }

    private static Instant seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS);
    }

    /** An IMF-fixdate (RFC 9110 §5.6.7), or null when the value is not one. */
    public static Instant parseDate(String value) {
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
