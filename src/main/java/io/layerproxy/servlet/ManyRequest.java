package io.layerproxy.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.io.input.BoundedInputStream;

/** What a {@code POST /_many/} asks for: its body read within bounds, parsed, and without repeats. */
final class ManyRequest {
    /** Largest request body: a JSON array of keys. */
    static final int MAX_BODY_BYTES = 1 << 20;
    /** Most prefixes ({@code bucket/prefix*}) one zip may list: each is at least one LIST request to S3. */
    static final int MAX_PREFIXES = 100;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(2)
                    .maxStringLength(4096)
                    .build())
            .build();

    private ManyRequest() {}

    /** The request could not be honoured; the status and message go to the client. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** The body's items, at most {@code maxEntries}: read up to the body limit, then parsed. */
    static List<String> parse(HttpServletRequest req, int maxEntries) throws IOException, Rejected {
        // read up to the limit even when Content-Length is over it: answering before the client finished sending
        // lets the connection close under it, and it may never see the 413
        InputStream body = BoundedInputStream.builder()
                .setInputStream(req.getInputStream())
                .setMaxCount(MAX_BODY_BYTES + 1L)
                .get();
        byte[] bytes = body.readAllBytes();
        if (bytes.length > MAX_BODY_BYTES) {
            throw new Rejected(
                    HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "request body over " + MAX_BODY_BYTES + " bytes");
        }
        List<String> items = new ArrayList<>();
        try (JsonParser json = JSON.createParser(bytes)) {
            if (json.nextToken() != JsonToken.START_ARRAY) {
                throw notAnArray();
            }
            for (JsonToken t = json.nextToken(); t != JsonToken.END_ARRAY; t = json.nextToken()) {
                if (t != JsonToken.VALUE_STRING) {
                    throw notAnArray();
                }
                items.add(json.getText());
                if (items.size() > maxEntries) {
                    throw new Rejected(
                            HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                            "more than many-max-entries (" + maxEntries + ") objects: " + items.size() + "+");
                }
            }
            if (json.nextToken() != null) {
                throw notAnArray();
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw notAnArray();
        }
        return items;
    }

    /**
     * The items without repeats, and without prefixes that another prefix of the same list covers ({@code b/a*}
     * inside {@code b/*}): each is listed and fetched once.
     *
     * @throws Rejected more than {@link #MAX_PREFIXES} prefixes
     */
    static List<String> distinct(List<String> items) throws Rejected {
        Set<String> unique = new LinkedHashSet<>(items);
        List<String> prefixes = unique.stream()
                .filter(i -> i.endsWith("*"))
                .map(i -> i.substring(0, i.length() - 1))
                .toList();
        if (prefixes.size() > MAX_PREFIXES) {
            throw new Rejected(
                    HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    "more than " + MAX_PREFIXES + " prefixes (entries ending in *): " + prefixes.size());
        }
        // a bucket-wide prefix (b*) covers b/...; a prefix covers the prefixes that start with it
        List<String> covers =
                prefixes.stream().map(p -> p.indexOf('/') < 0 ? p + "/" : p).toList();
        List<String> kept = new ArrayList<>();
        Set<String> listed = new java.util.HashSet<>();
        for (String item : unique) {
            if (item.endsWith("*")) {
                String prefix = item.substring(0, item.length() - 1);
                String name = prefix.indexOf('/') < 0 ? prefix + "/" : prefix;
                if (!listed.add(name) || covers.stream().anyMatch(c -> !c.equals(name) && name.startsWith(c))) {
                    continue;
                }
            }
            kept.add(item);
        }
        return kept;
    }

    private static Rejected notAnArray() {
        return new Rejected(
                HttpServletResponse.SC_BAD_REQUEST,
                "body must be a JSON array of \"bucket/key\" strings (a trailing * expands a prefix)");
    }
}
