package io.layerproxy.fleet;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The origin as a fleet member sees it: metadata and listings from S3, and each span of an object's bytes from
 * the member that owns it (rendezvous hashing over the view), which serves it through its own layers and single
 * flight. Spans this node owns, spans of a peer that failed lately, and every read made while serving a peer come
 * from S3 directly. A peer that fails part-way is dropped for the rest of the span, which S3 then completes.
 */
public final class PeerOrigin implements Origin {
    /** Set while this node serves a peer's request: it never forwards such a read again. */
    private static final ThreadLocal<Boolean> SERVING_PEER = new ThreadLocal<>();

    private final Origin s3;
    private final Fleet fleet;
    private final long spanBytes;
    private final Duration timeout;
    private final HttpClient http;

    public PeerOrigin(Origin s3, Fleet fleet, int blockSize, Duration timeout) {
        this.s3 = s3;
        this.fleet = fleet;
        this.spanBytes = (long) blockSize * fleet.spanBlocks();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    /**
     * Marks the current thread as answering a peer's request until {@link #endServingPeer()}: every origin read it
     * makes goes to S3, never to another peer.
     */
    public static void beginServingPeer() {
        SERVING_PEER.set(Boolean.TRUE);
    }

    public static void endServingPeer() {
        SERVING_PEER.remove();
    }

    /** Whether the current thread serves a peer's request. */
    public static boolean isServingPeer() {
        return Boolean.TRUE.equals(SERVING_PEER.get());
    }

    private boolean routing() {
        return !isServingPeer() && fleet.members().size() > 1;
    }

    @Override
    public @Nullable ObjectInfo head(ObjectKey key) {
        return s3.head(key);
    }

    @Override
    public @Nullable ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return s3.revalidate(key, cached);
    }

    @Override
    public @Nullable Fetched fetch(ObjectKey key) {
        if (!routing()) {
            return s3.fetch(key);
        }
        // the metadata from S3, the bytes span by span from their owners
        ObjectInfo info = s3.head(key);
        if (info == null) {
            return null;
        }
        // the first span only: the fill a miss leads stops at its span's end (reading on would start the next
        // span's read, from S3 or a peer, only to close it)
        long first = Math.min(info.size(), spanBytes);
        return new Fetched(info, first == 0 ? InputStream.nullInputStream() : read(key, info, 0, first - 1), first);
    }

    /** In a fleet, the first span (as {@link #fetch(ObjectKey)}); alone, S3's ranged GET. */
    @Override
    public @Nullable Fetched fetch(ObjectKey key, long firstBytes) {
        return routing() ? fetch(key) : s3.fetch(key, firstBytes);
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        if (!routing()) {
            return s3.read(key, version, first, last);
        }
        return new SpanStream(key, version, first, last);
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        s3.list(bucket, prefix, each);
    }

    @Override
    public @Nullable ListPage listPage(ListRequest request) {
        return s3.listPage(request);
    }

    @Override
    public List<Bucket> listBuckets() {
        return s3.listBuckets();
    }

    @Override
    public void close() {
        s3.close();
    }

    /** What a peer request proves with its signature: the key, its version and the range. */
    static String signed(ObjectKey key, String range) {
        return key.bucket() + "/" + key.key() + (key.versionId() == null ? "" : "?versionId=" + key.versionId()) + " "
                + range;
    }

    private String spanId(ObjectKey key, ObjectInfo version, long span) {
        return key.bucket() + "/" + key.key() + "\u0000" + (key.versionId() == null ? "" : key.versionId()) + "\u0000"
                + version.etag() + "\u0000" + spanBytes + "\u0000" + span;
    }

    /** Bytes first..last, each span from its owner or S3, opened one part at a time as they are read. */
    private final class SpanStream extends InputStream implements FromPeers {
        private final ObjectKey key;
        private final ObjectInfo version;
        private final long last;
        /** Byte ranges (first, last) that were asked of peers. */
        private final java.util.List<long[]> fromPeers = new java.util.concurrent.CopyOnWriteArrayList<>();

        private long pos;
        private @Nullable InputStream part;
        private long partEnd;
        private @Nullable String partPeer;
        private long partPeerBytes;
        /** After a peer failed part-way: S3 serves up to here. */
        private long s3Until = -1;

        SpanStream(ObjectKey key, ObjectInfo version, long first, long last) {
            this.key = key;
            this.version = version;
            this.pos = first;
            this.last = last;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (pos <= last) {
                if (part == null) {
                    open();
                }
                InputStream in = part;
                try {
                    int n = in.read(b, off, (int) Math.min(len, partEnd - pos + 1));
                    if (n < 0) {
                        throw new IOException("body ended at byte " + pos + ", before " + partEnd);
                    }
                    pos += n;
                    if (partPeer != null) {
                        partPeerBytes += n;
                    }
                    if (pos > partEnd) {
                        closePart();
                    }
                    return n;
                } catch (IOException | RuntimeException e) {
                    if (partPeer == null) {
                        throw e;
                    }
                    // the owner failed part-way (or went away): S3 completes its span
                    fleet.avoid(partPeer, e.toString());
                    s3Until = partEnd;
                    closeQuietly();
                }
            }
            return -1;
        }

        private void open() {
            long span = pos / spanBytes;
            long spanEnd = Math.min(last, (span + 1) * spanBytes - 1);
            String peer = pos <= s3Until ? null : fleet.peerOwning(spanId(key, version, span));
            if (peer != null) {
                try {
                    part = fromPeer(peer, pos, spanEnd);
                    partEnd = spanEnd;
                    partPeer = peer;
                    partPeerBytes = 0;
                    fromPeers.add(new long[] {pos, spanEnd});
                    return;
                } catch (IOException | RuntimeException e) {
                    fleet.avoid(peer, e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fleet.avoid(peer, "interrupted");
                }
            }
            // this node's spans (and a failed peer's) from S3, as one read over the run of them
            long end = spanEnd;
            while (pos > s3Until
                    && end < last
                    && fleet.peerOwning(spanId(key, version, (end + 1) / spanBytes)) == null) {
                end = Math.min(last, end + spanBytes);
            }
            part = s3.read(key, version, pos, end);
            partEnd = end;
            partPeer = null;
        }

        private InputStream fromPeer(String peer, long from, long to) throws IOException, InterruptedException {
            String range = "bytes=" + from + "-" + to;
            String target = "/" + Paths.encode(key.bucket()) + "/" + Paths.encode(key.key())
                    + (key.versionId() == null ? "" : "?versionId=" + Paths.encode(key.versionId()));
            HttpRequest request = HttpRequest.newBuilder(URI.create(peer + target))
                    .timeout(timeout)
                    .header("Range", range)
                    .header("If-Match", version.etag())
                    .header(PeerAuth.HEADER, fleet.signPeer(key, range))
                    .GET()
                    .build();
            long asked = System.nanoTime();
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            fleet.peerAnswered(System.nanoTime() - asked);
            String contentRange = response.headers().firstValue("Content-Range").orElse("");
            if (response.statusCode() != 206
                    || !contentRange.equals("bytes " + from + "-" + to + "/" + version.size())) {
                response.body().close();
                throw new IOException("answered " + response.statusCode() + " " + contentRange);
            }
            return response.body();
        }

        private void closePart() throws IOException {
            InputStream in = part;
            part = null;
            if (partPeer != null) {
                fleet.peerRead(partPeerBytes);
                partPeer = null;
            }
            if (in != null) {
                in.close();
            }
        }

        private void closeQuietly() {
            InputStream in = part;
            part = null;
            partPeer = null;
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // already failed
                }
            }
        }

        @Override
        public boolean fromPeer(long first, long lastByte) {
            for (long[] r : fromPeers) {
                if (r[0] <= lastByte && first <= r[1]) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            closeQuietly();
            pos = last + 1;
        }
    }

    /** Percent-encoding of keys in a peer's request path: what the proxy's own path decoding reads back. */
    static final class Paths {
        private Paths() {}

        static String encode(String s) {
            StringBuilder out = new StringBuilder();
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xff;
                if ((c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')
                        || c == '-'
                        || c == '.'
                        || c == '_'
                        || c == '~'
                        || c == '/') {
                    out.append((char) c);
                } else {
                    out.append('%')
                            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
                }
            }
            return out.toString();
        }
    }
}
