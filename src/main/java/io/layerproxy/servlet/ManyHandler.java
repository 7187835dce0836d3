package io.layerproxy.servlet;

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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /_many/} with a JSON array of {@code "bucket/key"} (a trailing {@code *} expands a prefix): a zip
 * of the objects, streamed through the cache entry by entry, never held whole. Objects that cannot be read
 * before their first byte are listed in a final {@code errors.txt} entry; a failure inside an entry aborts the
 * response, so a zip that completes is never missing bytes.
 *
 * <p>Bounded before it spends: repeated keys and prefixes (and prefixes inside another) are asked once, at most
 * {@link #MAX_PREFIXES} prefixes are listed, and a listing stops as soon as it passes {@code many-max-entries}.
 */
final class ManyHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ManyHandler.class);

    private final LayerProxy proxy;
    private final int maxEntries;
    private final long maxBytes;
    /** Zips being built (their bodies read included): a bound, so they never take the threads hits need. */
    private final Semaphore building;

    ManyHandler(LayerProxy proxy, LayerProxyConfig config) {
        this.proxy = proxy;
        this.building = new Semaphore(config.manyMaxConcurrent());
        this.maxEntries = config.manyMaxEntries();
        this.maxBytes = config.manyMaxBytes();
    }

    void handle(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"POST".equals(req.getMethod())) {
            resp.setHeader("Allow", "POST");
            Responses.error(
                    resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "POST a JSON array of \"bucket/key\" to /_many/");
            return;
        }
        if (!building.tryAcquire()) {
            resp.setHeader("Retry-After", "5");
            Responses.error(
                    resp,
                    HttpServletResponse.SC_SERVICE_UNAVAILABLE,
                    "too many /_many/ zips in progress (many-max-concurrent); retry later");
            return;
        }
        try {
            build(req, resp);
        } finally {
            building.release();
        }
    }

    private void build(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<ObjectKey, CachedObject> entries = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        List<OriginException> failures = new ArrayList<>();
        try {
            resolve(ManyRequest.distinct(ManyRequest.parse(req, maxEntries)), entries, errors, failures);
        } catch (ManyRequest.Rejected e) {
            Responses.error(resp, e.status, e.getMessage());
            return;
        }
        if (entries.isEmpty() && !failures.isEmpty()) {
            // nothing could be read because S3 failed: its error, not a zip of errors
            Responses.failure(req, resp, failures.get(0), null);
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

    /** Thrown from a listing's callback to stop it once the zip is over its entry limit. */
    private static final class ListingStopped extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ListingStopped() {
            super(null, null, false, false);
        }
    }

    private void resolve(
            List<String> items,
            Map<ObjectKey, CachedObject> entries,
            List<String> errors,
            List<OriginException> failures)
            throws ManyRequest.Rejected {
        long total = 0;
        for (String item : items) {
            if (item.endsWith("*")) {
                String pattern = item.substring(0, item.length() - 1);
                int slash = pattern.indexOf('/');
                String bucket = slash < 0 ? pattern : pattern.substring(0, slash);
                if (!ObjectKey.isValidBucket(bucket)) {
                    throw new ManyRequest.Rejected(
                            HttpServletResponse.SC_BAD_REQUEST, "invalid entry: " + Responses.abbreviate(item));
                }
                if (!proxy.allows(bucket)) {
                    errors.add(item + ": no such objects");
                    continue;
                }
                List<ObjectKey> expanded = new ArrayList<>();
                int room = maxEntries - entries.size();
                try {
                    proxy.list(bucket, slash < 0 ? "" : pattern.substring(slash + 1), listed -> {
                        if (entries.containsKey(listed.key())) {
                            return; // already in the zip: takes no room
                        }
                        expanded.add(listed.key());
                        if (expanded.size() > room) {
                            throw new ListingStopped(); // over the limit already: no more pages
                        }
                    });
                } catch (ListingStopped e) {
                    throw tooMany(entries.size() + expanded.size() + "+");
                } catch (OriginException e) {
                    errors.add(item + ": listing failed: " + e.getMessage());
                    failures.add(e);
                    continue;
                }
                for (ObjectKey key : expanded) {
                    total = add(key, entries, errors, failures, total);
                }
                if (expanded.isEmpty()) {
                    errors.add(item + ": no such objects");
                }
            } else {
                ObjectKey key;
                try {
                    key = ObjectKey.parse(item);
                } catch (IllegalArgumentException e) {
                    throw new ManyRequest.Rejected(
                            HttpServletResponse.SC_BAD_REQUEST, "invalid entry: " + Responses.abbreviate(item));
                }
                total = add(key, entries, errors, failures, total);
            }
        }
    }

    private long add(
            ObjectKey key,
            Map<ObjectKey, CachedObject> entries,
            List<String> errors,
            List<OriginException> failures,
            long total)
            throws ManyRequest.Rejected {
        if (entries.containsKey(key)) {
            return total;
        }
        if (!safeEntryName(key)) {
            errors.add(key + ": skipped, not a safe path inside a zip");
            return total;
        }
        CachedObject lookup;
        try {
            lookup = proxy.read(key, ReadSpec.METADATA); // holds no body: nothing to close
        } catch (OriginException e) {
            // that key's failure (a 500 for it, a timeout): the zip goes on without it
            errors.add(key + ": " + e.getMessage());
            failures.add(e);
            return total;
        }
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
            throw new ManyRequest.Rejected(
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

    private ManyRequest.Rejected tooMany(String count) {
        return new ManyRequest.Rejected(
                HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                "more than many-max-entries (" + maxEntries + ") objects: " + count);
    }
}
