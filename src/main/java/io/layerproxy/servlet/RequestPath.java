package io.layerproxy.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The request's path inside the webapp, decoded from the request target as sent. The container's own decoded path
 * is not used: containers normalize it (Tomcat merges {@code //}, Jetty refuses {@code %25} and {@code %2F} there),
 * while an S3 key is exactly the percent-decoded bytes of the path, {@code %}, {@code //} and all.
 */
final class RequestPath {
    private RequestPath() {}

    /**
     * The decoded path after the context path ({@code /bucket/key} when the filter is mounted at the root).
     *
     * @throws IllegalArgumentException for a malformed percent-encoding or bytes that are not UTF-8
     */
    static String of(HttpServletRequest req) {
        String raw = req.getRequestURI();
        String context = req.getContextPath();
        if (!context.isEmpty()) {
            if (!raw.startsWith(context)) {
                // spelled otherwise (/%61pp for /app): stripping would guess, and a guess could shift the bucket
                throw new IllegalArgumentException("send the context path " + context + " as it is, not encoded");
            }
            raw = raw.substring(context.length());
        }
        return decode(raw);
    }

    /** Percent-decodes {@code raw} as UTF-8; {@code +} stays a plus, as in any path. */
    static String decode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        var bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int high = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
                int low = high < 0 ? -1 : Character.digit(raw.charAt(i + 2), 16);
                if (low < 0) {
                    throw new IllegalArgumentException("malformed percent-encoding in the path");
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else {
                // a run of characters at once: a character outside the BMP is two chars (a surrogate pair)
                int end = raw.indexOf('%', i);
                end = end < 0 ? raw.length() : end;
                byte[] encoded = raw.substring(i, end).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i = end - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("the path's percent-encoded bytes are not UTF-8");
        }
    }
}
