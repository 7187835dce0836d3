package io.layerproxy.servlet;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.ReadSpec;
import io.layerproxy.config.LayerProxyConfig;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.io.input.BoundedInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /_many/} with a JSON array of {@code "bucket/key"} (a trailing {@code *} expands a prefix): a zip
 * of the objects, streamed through the cache entry by entry, never held whole. Objects that cannot be read
 * before their first byte are listed in a final {@code errors.txt} entry; a failure inside an entry aborts the
 * response, so a zip that completes is never missing bytes.
 */
final class ManyHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ManyHandler.class);
    /** Largest request body: a JSON array of keys. */
    static final int MAX_BODY_BYTES = 1 << 20;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(2)
                    .maxStringLength(4096)
                    .build())
            .build();

    private final LayerProxy proxy;
    private final int maxEntries;
    private final long maxBytes;

    ManyHandler(LayerProxy proxy, LayerProxyConfig config) {
        this.proxy = proxy;
        this.maxEntries = config.manyMaxEntries();
        this.maxBytes = config.manyMaxBytes();
    }

    /** The request could not be honoured; the status and message go to the client. */
    private static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"POST".equals(req.getMethod())) {
            resp.setHeader("Allow", "POST");
            Responses.error(
                    resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "POST a JSON array of \"bucket/key\" to /_many/");
            return;
        }
        Map<ObjectKey, CachedObject> entries = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        try {
            resolve(parse(req), entries, errors);
        } catch (Rejected e) {
            Responses.error(resp, e.status, e.getMessage());
            return;
        } catch (OriginException e) {
            Responses.failure(req, resp, e, null);
            return;
        }
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/zip");
        resp.setHeader("Content-Disposition", "attachment; filename=\"layerproxy.zip\"");
        // not try-with-resources: closing would finish the archive and make a cut entry look complete
        var zip = new ZipOutputStream(resp.getOutputStream());
        for (Map.Entry<ObjectKey, CachedObject> entry : entries.entrySet()) {
            write(zip, entry.getKey(), entry.getValue(), errors);
        }
        if (!errors.isEmpty()) {
            zip.putNextEntry(new ZipEntry("errors.txt"));
            zip.write((String.join("\n", errors) + "\n").getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        zip.finish();
    }

    private List<String> parse(HttpServletRequest req) throws IOException, Rejected {
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
                    throw tooMany(items.size() + "+");
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

    private void resolve(List<String> items, Map<ObjectKey, CachedObject> entries, List<String> errors)
            throws Rejected {
        long total = 0;
        for (String item : items) {
            if (item.endsWith("*")) {
                String pattern = item.substring(0, item.length() - 1);
                int slash = pattern.indexOf('/');
                String bucket = slash < 0 ? pattern : pattern.substring(0, slash);
                if (!ObjectKey.isValidBucket(bucket)) {
                    throw new Rejected(
                            HttpServletResponse.SC_BAD_REQUEST, "invalid entry: " + Responses.abbreviate(item));
                }
                if (!proxy.allows(bucket)) {
                    errors.add(item + ": no such objects");
                    continue;
                }
                List<ObjectKey> expanded = new ArrayList<>();
                proxy.list(bucket, slash < 0 ? "" : pattern.substring(slash + 1), listed -> {
                    if (expanded.size() <= maxEntries) {
                        expanded.add(listed.key());
                    }
                });
                for (ObjectKey key : expanded) {
                    total = add(key, entries, errors, total);
                }
                if (expanded.isEmpty()) {
                    errors.add(item + ": no such objects");
                }
            } else {
                ObjectKey key;
                try {
                    key = ObjectKey.parse(item);
                } catch (IllegalArgumentException e) {
                    throw new Rejected(
                            HttpServletResponse.SC_BAD_REQUEST, "invalid entry: " + Responses.abbreviate(item));
                }
                total = add(key, entries, errors, total);
            }
        }
    }

    private long add(ObjectKey key, Map<ObjectKey, CachedObject> entries, List<String> errors, long total)
            throws Rejected {
        if (entries.containsKey(key)) {
            return total;
        }
        if (!safeEntryName(key)) {
            errors.add(key + ": skipped, not a safe path inside a zip");
            return total;
        }
        CachedObject lookup = proxy.read(key, ReadSpec.METADATA); // holds no body: nothing to close
        if (!lookup.found()) {
            errors.add(key + ": no such object");
            return total;
        }
        entries.put(key, lookup);
        if (entries.size() > maxEntries) {
            throw tooMany(String.valueOf(entries.size()) + "+");
        }
        long sum = total + lookup.info().size();
        if (sum > maxBytes) {
            throw new Rejected(
                    HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    "objects total more than many-max-bytes (" + maxBytes + ")");
        }
        return sum;
    }

    private void write(ZipOutputStream zip, ObjectKey key, CachedObject lookup, List<String> errors)
            throws IOException {
        ObjectBody body;
        try {
            body = lookup.open(0, lookup.info().size());
        } catch (OriginException e) {
            errors.add(key + ": " + e.getMessage());
            return;
        }
        try (body) {
            ZipEntry entry = new ZipEntry(key.bucket() + "/" + key.key());
            if (lookup.info().lastModified() != null) {
                entry.setTime(lookup.info().lastModified().toEpochMilli());
            }
            zip.putNextEntry(entry);
            body.writeTo(zip);
            zip.closeEntry();
        } catch (OriginException e) {
            // bytes of this entry are out already: a short entry would be a wrong file, so abort the archive
            LOG.warn("aborting /_many/ zip at {}: {}", key, e.getMessage());
            throw new IOException("aborted: " + e.getMessage(), e);
        }
    }

    /** No absolute paths, dot segments or backslashes: a client unzipping must not write outside its folder. */
    static boolean safeEntryName(ObjectKey key) {
        for (String segment : key.key().split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..") || segment.contains("\\")) {
                return false;
            }
        }
        return true;
    }

    private Rejected tooMany(String count) {
        return new Rejected(
                HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                "more than many-max-entries (" + maxEntries + ") objects: " + count);
    }

    private static Rejected notAnArray() {
        return new Rejected(
                HttpServletResponse.SC_BAD_REQUEST,
                "body must be a JSON array of \"bucket/key\" strings (a trailing * expands a prefix)");
    }
}
