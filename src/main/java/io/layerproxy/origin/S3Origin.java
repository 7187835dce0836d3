package io.layerproxy.origin;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import io.layerproxy.OriginException.Kind;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.ResponseTransformer;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The S3 origin, through the AWS SDK for Java v2. Build the client with {@link S3Clients}. */
public final class S3Origin implements Origin {
    /**
     * Bodies as plain streams: the SDK's default starts a static {@code response-input-stream-timeout-scheduler}
     * thread that outlives an undeployed webapp (aws-sdk-java-v2 #6567). Silence is bounded by the HTTP client's
     * socket timeout instead.
     */
    private static final ResponseTransformer<GetObjectResponse, ResponseInputStream<GetObjectResponse>>
            UNSCHEDULED_STREAM = ResponseTransformer.toInputStream(Duration.ZERO);

    private final S3Client s3;

    private S3Origin(S3Client s3) {
        this.s3 = s3;
    }

    /** An origin reading through {@code s3}; closing the origin closes the client. */
    public static S3Origin create(S3Client s3) {
        return new S3Origin(s3);
    }

    /**
     * A HEAD; also how a cached version is revalidated (Origin's default): as cheap as a conditional HEAD, since a
     * HEAD has no body, and its answer carries what a 304 may leave out — a re-upload's new Last-Modified, changed
     * metadata.
     */
    @Override
    public ObjectInfo head(ObjectKey key) {
        try {
            return fromHead(
                    key,
                    s3.headObject(b -> b.bucket(key.bucket()).key(key.key()).versionId(key.versionId())));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw translate("HEAD", key, e);
        } catch (SdkException e) {
            throw translate("HEAD", key, e);
        }
    }

    private static ObjectInfo fromHead(ObjectKey key, HeadObjectResponse r) {
        return info(
                "HEAD",
                key,
                r.contentLength(),
                r.eTag(),
                r.lastModified(),
                r.contentType(),
                r.sdkHttpResponse(),
                r.metadata());
    }

    /** The headers of S3's answer that are served with the object, besides its type, length, ETag and date. */
    private static final List<String> PASSED_HEADERS = List.of(
            "Cache-Control",
            "Content-Encoding",
            "Content-Disposition",
            "Content-Language",
            "Expires",
            "x-amz-version-id");

    /** Metadata from a HEAD or GET answer (the two carry the same headers). */
    private static ObjectInfo info(
            String op,
            ObjectKey key,
            Long length,
            String etag,
            Instant lastModified,
            String contentType,
            SdkHttpResponse http,
            Map<String, String> userMetadata) {
        if (length == null || etag == null) {
            throw new OriginException(Kind.BAD_RESPONSE, "S3 answered " + op + " " + key + " without length or ETag");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : PASSED_HEADERS) {
            http.firstMatchingHeader(name).filter(value -> !value.isEmpty()).ifPresent(v -> headers.put(name, v));
        }
        userMetadata.forEach((name, value) -> headers.put("x-amz-meta-" + name, value));
        return new ObjectInfo(length, etag, lastModified, contentType, headers, Instant.EPOCH);
    }

    /** One GET of the whole object: its metadata from the answer's headers, its body streaming behind them. */
    @Override
    public Fetched fetch(ObjectKey key) {
        return fetch(key, Long.MAX_VALUE);
    }

    /**
     * One GET of the first {@code firstBytes} bytes ({@code Range: bytes=0-N}): S3 answers 206 with the object's
     * size in {@code Content-Range} and the same metadata headers as a whole GET. An empty object has no byte to
     * range over (416): it is asked for again without a range.
     */
    @Override
    public Fetched fetch(ObjectKey key, long firstBytes) {
        boolean ranged = firstBytes < Long.MAX_VALUE;
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(
                    b -> b.bucket(key.bucket())
                            .key(key.key())
                            .versionId(key.versionId())
                            .range(ranged ? "bytes=0-" + (Math.max(1, firstBytes) - 1) : null),
                    UNSCHEDULED_STREAM);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            if (e.statusCode() == 416 && ranged) {
                return fetch(key, Long.MAX_VALUE);
            }
            throw translate("GET", key, e);
        } catch (SdkException e) {
            throw translate("GET", key, e);
        }
        GetObjectResponse r = in.response();
        try {
            Long length = r.contentLength();
            Long size = r.contentRange() == null ? length : totalOf(r.contentRange());
            ObjectInfo info = info(
                    "GET", key, size, r.eTag(), r.lastModified(), r.contentType(), r.sdkHttpResponse(), r.metadata());
            // a server that ignores Range answers 200 with all of it
            long expected = r.contentRange() == null ? info.size() : Math.min(info.size(), Math.max(1, firstBytes));
            if (length == null
                    || length != expected
                    || (r.contentRange() != null && !r.contentRange().startsWith("bytes 0-"))) {
                throw new OriginException(
                        Kind.BAD_RESPONSE,
                        "S3 answered GET " + key + " bytes 0-" + (expected - 1) + " with " + length + " bytes, range "
                                + r.contentRange());
            }
            return new Fetched(info, new AbortOnEarlyClose(in, expected), expected);
        } catch (OriginException e) {
            in.abort();
            throw e;
        }
    }

    /** The complete length after the slash of {@code bytes 0-99/1234}; null when unknown ({@code *}) or malformed. */
    private static Long totalOf(String contentRange) {
        int slash = contentRange.lastIndexOf('/');
        try {
            return slash < 0
                    ? null
                    : Long.valueOf(contentRange.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix))
                    .contents()) {
                ObjectKey key;
                try {
                    key = new ObjectKey(bucket, o.key());
                } catch (IllegalArgumentException e) {
                    continue; // a key this proxy cannot serve is not worth watching
                }
                each.accept(new Listed(key, o.eTag(), o.size() == null ? 0 : o.size()));
            }
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return; // no such bucket: nothing under the prefix
            }
            throw translate("LIST", new ObjectKey(bucket, prefix.isEmpty() ? "*" : prefix), e);
        } catch (SdkException e) {
            throw translate("LIST", new ObjectKey(bucket, prefix.isEmpty() ? "*" : prefix), e);
        }
    }

    @Override
    public ListPage listPage(ListRequest q) {
        ListObjectsV2Response r;
        try {
            r = s3.listObjectsV2(b -> b.bucket(q.bucket())
                    .prefix(q.prefix())
                    .delimiter(q.delimiter())
                    .maxKeys(q.maxKeys())
                    .continuationToken(q.continuationToken())
                    .startAfter(q.startAfter()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw translate("LIST", new ObjectKey(q.bucket(), "*"), e);
        } catch (SdkException e) {
            throw translate("LIST", new ObjectKey(q.bucket(), "*"), e);
        }
        List<ListedObject> contents = r.contents().stream()
                .map(o -> new ListedObject(
                        o.key(), o.lastModified(), o.eTag(), o.size() == null ? 0 : o.size(), o.storageClassAsString()))
                .toList();
        List<String> prefixes =
                r.commonPrefixes().stream().map(CommonPrefix::prefix).toList();
        return new ListPage(Boolean.TRUE.equals(r.isTruncated()), r.nextContinuationToken(), contents, prefixes);
    }

    @Override
    public List<Bucket> listBuckets() {
        try {
            return s3.listBuckets().buckets().stream()
                    .map(b -> new Bucket(b.name(), b.creationDate()))
                    .toList();
        } catch (SdkException e) {
            throw translate("LIST", new ObjectKey("buckets", "*"), e);
        }
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        String etag = version.etag();
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = s3.getObject(
                    b -> b.bucket(key.bucket())
                            .key(key.key())
                            .versionId(key.versionId())
                            .ifMatch(etag)
                            .range("bytes=" + first + "-" + last),
                    UNSCHEDULED_STREAM);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new OriginException(Kind.CHANGED, key + " was deleted while being read", e);
            }
            throw translate("GET", key, e);
        } catch (SdkException e) {
            throw translate("GET", key, e);
        }
        GetObjectResponse r = in.response();
        long expected = last - first + 1;
        // S3-compatible stores that ignore If-Match or Range must not make us cache wrong bytes
        if (r.eTag() != null && !r.eTag().equals(etag)) {
            in.abort();
            throw new OriginException(Kind.CHANGED, key + " changed while being read");
        }
        if (r.contentRange() != null && !r.contentRange().endsWith("/" + version.size())) {
            // same ETag, another length: the metadata we hold is not of this object's current bytes
            in.abort();
            throw new OriginException(
                    Kind.CHANGED, key + " is " + r.contentRange() + ", not " + version.size() + " bytes");
        }
        if (r.contentLength() == null
                || r.contentLength() != expected
                || (r.contentRange() != null && !r.contentRange().startsWith("bytes " + first + "-"))) {
            in.abort();
            throw new OriginException(
                    Kind.BAD_RESPONSE,
                    "S3 answered GET " + key + " bytes " + first + "-" + last + " with " + r.contentLength()
                            + " bytes, range " + r.contentRange());
        }
        return new AbortOnEarlyClose(in, expected);
    }

    @Override
    public void close() {
        s3.close();
    }

    private static OriginException translate(String op, ObjectKey key, SdkException e) {
        if (e instanceof S3Exception s3e) {
            int status = s3e.statusCode();
            String what = "S3 answered " + status + " to " + op + " " + key;
            if (status == 403) {
                return new OriginException(Kind.DENIED, what, e);
            }
            if (status == 412) {
                return new OriginException(Kind.CHANGED, what, e);
            }
            String code =
                    s3e.awsErrorDetails() == null ? null : s3e.awsErrorDetails().errorCode();
            if (status == 501 || ((status == 400 || status == 405) && key.versionId() != null)) {
                // what S3 refuses to anyone (a version id it does not know or support): the client's answer too
                return new OriginException(
                        Kind.REFUSED, what + (code == null ? "" : " (" + code + ")"), status, code, e);
            }
            if (status >= 500) {
                return new OriginException(Kind.UNAVAILABLE, what, status, code, e);
            }
            return new OriginException(Kind.BAD_RESPONSE, what, status, code, e);
        }
        if (e instanceof ApiCallTimeoutException
                || e instanceof ApiCallAttemptTimeoutException
                || hasCause(e, SocketTimeoutException.class)) {
            return new OriginException(Kind.TIMEOUT, "S3 did not answer " + op + " " + key + " in time", e);
        }
        if (e instanceof SdkClientException) {
            return new OriginException(Kind.UNAVAILABLE, "S3 could not be reached for " + op + " " + key, e);
        }
        return new OriginException(Kind.UNAVAILABLE, "S3 failed " + op + " " + key, e);
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
