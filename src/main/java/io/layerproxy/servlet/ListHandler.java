package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.Origin.ListPage;
import io.layerproxy.Origin.ListRequest;
import io.layerproxy.Origin.ListedObject;
import io.layerproxy.OriginException;
import io.layerproxy.http.S3Xml;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import software.amazon.awssdk.utils.http.SdkHttpUtils;

/**
 * S3's read-only bucket API for S3 clients: ListObjects v1 and v2 ({@code GET /{bucket}?list-type=2&prefix=...}),
 * GetBucketLocation and ListBuckets ({@code GET /}), answered from S3 with the proxy's credentials (never the
 * client's) and written back in S3's XML. Listings are not cached.
 */
final class ListHandler {
    private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int MAX_KEYS = 1000;

    private final LayerProxy proxy;
    private final String region;

    ListHandler(LayerProxy proxy, String region) {
        this.proxy = proxy;
        this.region = region;
    }

    /** {@code GET /}: ListBuckets, the allowlisted buckets or, without an allowlist, the credentials' own. */
    void buckets(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET, HEAD");
            S3Errors.write(resp, 405, "MethodNotAllowed", "only GET lists the buckets", null, null);
            return;
        }
        List<Origin.Bucket> buckets;
        try {
            buckets = fromOrigin(proxy::listBuckets, "list buckets", null, req, resp);
        } catch (Answered e) {
            return;
        }
        writeXml(req, resp, document("ListAllMyBucketsResult", xml -> {
            xml.writeStartElement("Owner");
            S3Xml.element(xml, "ID", "layerproxy");
            S3Xml.element(xml, "DisplayName", "layerproxy");
            xml.writeEndElement();
            xml.writeStartElement("Buckets");
            for (Origin.Bucket bucket : buckets) {
                xml.writeStartElement("Bucket");
                S3Xml.element(xml, "Name", bucket.name());
                // an allowlisted bucket is listed without asking S3, which alone knows its creation date
                S3Xml.element(
                        xml,
                        "CreationDate",
                        ISO_MILLIS.format(bucket.created() == null ? Instant.EPOCH : bucket.created()));
                xml.writeEndElement();
            }
            xml.writeEndElement();
        }));
    }

    /** What goes inside a document's root element. */
    private interface XmlBody {
        void write(XMLStreamWriter xml) throws XMLStreamException;
    }

    /** An S3 XML document: its root element in S3's namespace around {@code body}. */
    private static String document(String root, XmlBody body) throws IOException {
        var out = new StringWriter();
        try {
            XMLStreamWriter xml = XML.createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement(root);
            xml.writeDefaultNamespace("http://s3.amazonaws.com/doc/2006-03-01/");
            body.write(xml);
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException(e);
        }
        return out.toString();
    }

    void handle(String bucket, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"GET".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET");
            S3Errors.write(resp, 405, "MethodNotAllowed", "only GET lists a bucket", bucket, null);
            return;
        }
        if (req.getParameter("location") != null) {
            // GetBucketLocation: SDKs ask it before they list
            if (!proxy.allows(bucket)) {
                S3Errors.write(resp, 404, "NoSuchBucket", "The specified bucket does not exist.", bucket, null);
                return;
            }
            // an empty constraint is us-east-1, as S3 says it
            writeXml(req, resp, document("LocationConstraint", xml -> {
                if (!region.equals("us-east-1")) {
                    xml.writeCharacters(region);
                }
            }));
            return;
        }
        String other = S3Query.otherBucketOperation(req);
        if (other != null) {
            S3Errors.write(
                    resp,
                    501,
                    "NotImplemented",
                    "?" + other + " is another S3 operation; this proxy lists buckets and serves objects only",
                    bucket,
                    null);
            return;
        }
        String listType = req.getParameter("list-type");
        if (listType != null && !"2".equals(listType) && !"1".equals(listType)) {
            S3Errors.write(resp, 400, "InvalidArgument", "list-type must be 1 or 2", bucket, null);
            return;
        }
        // ListObjects (v1) is v2 with a marker for start-after; its answer names the marker instead of tokens
        boolean v1 = !"2".equals(listType);
        if (!ObjectKey.isValidBucket(bucket)) {
            S3Errors.write(resp, 400, "InvalidBucketName", "The specified bucket is not valid.", bucket, null);
            return;
        }
        Integer maxKeys;
        try {
            maxKeys = req.getParameter("max-keys") == null
                    ? MAX_KEYS
                    : Math.min(MAX_KEYS, Integer.parseInt(req.getParameter("max-keys")));
            if (maxKeys < 0) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            S3Errors.write(
                    resp, 400, "InvalidArgument", "max-keys must be an integer between 0 and 1000", bucket, null);
            return;
        }
        String encoding = req.getParameter("encoding-type");
        if (encoding != null && !"url".equals(encoding)) {
            S3Errors.write(resp, 400, "InvalidArgument", "encoding-type must be url", bucket, null);
            return;
        }
        boolean urlEncoded = encoding != null;
        var request = v1
                ? new ListRequest(
                        bucket,
                        req.getParameter("prefix"),
                        req.getParameter("delimiter"),
                        maxKeys,
                        null,
                        req.getParameter("marker"))
                : new ListRequest(
                        bucket,
                        req.getParameter("prefix"),
                        req.getParameter("delimiter"),
                        maxKeys,
                        req.getParameter("continuation-token"),
                        req.getParameter("start-after"));
        ListPage page;
        try {
            page = fromOrigin(() -> proxy.listPage(request), "list", bucket, req, resp);
        } catch (Answered e) {
            return;
        }
        if (page == null) {
            S3Errors.write(resp, 404, "NoSuchBucket", "The specified bucket does not exist.", bucket, null);
            return;
        }
        writeXml(req, resp, xml(request, page, urlEncoded, v1));
    }

    /** An origin failure, already answered to the client. */
    private static final class Answered extends Exception {
        private static final long serialVersionUID = 1L;

        Answered() {
            super(null, null, false, false);
        }
    }

    /** The origin's answer; a failure is answered here (S3 XML) and thrown as {@link Answered}. */
    private static <T> T fromOrigin(
            java.util.function.Supplier<T> call,
            String what,
            String bucket,
            HttpServletRequest req,
            HttpServletResponse resp)
            throws IOException, Answered {
        try {
            return call.get();
        } catch (OriginException e) {
            Responses.failure(req, resp, e, bucket, null);
        } catch (UnsupportedOperationException e) {
            S3Errors.write(resp, 501, "NotImplemented", "this proxy's origin cannot " + what, bucket, null);
        }
        throw new Answered();
    }

    private static void writeXml(HttpServletRequest req, HttpServletResponse resp, String xml) throws IOException {
        byte[] body = xml.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(200);
        resp.setContentType("application/xml;charset=utf-8");
        resp.setContentLength(body.length);
        if (!"HEAD".equals(req.getMethod())) {
            resp.getOutputStream().write(body);
        }
    }

    /** The last key or common prefix of a page, whichever sorts later: where a v1 listing resumes. */
    private static String lastName(ListPage page) {
        String key = page.contents().isEmpty()
                ? null
                : page.contents().get(page.contents().size() - 1).key();
        String prefix = page.commonPrefixes().isEmpty()
                ? null
                : page.commonPrefixes().get(page.commonPrefixes().size() - 1);
        if (key == null) {
            return prefix;
        }
        return prefix == null || key.compareTo(prefix) > 0 ? key : prefix;
    }

    private static String xml(ListRequest q, ListPage page, boolean urlEncoded, boolean v1) throws IOException {
        return document("ListBucketResult", xml -> {
            S3Xml.element(xml, "Name", q.bucket());
            S3Xml.element(xml, "Prefix", encode(q.prefix() == null ? "" : q.prefix(), urlEncoded));
            if (q.delimiter() != null) {
                S3Xml.element(xml, "Delimiter", encode(q.delimiter(), urlEncoded));
            }
            if (v1) {
                S3Xml.element(xml, "Marker", encode(q.startAfter() == null ? "" : q.startAfter(), urlEncoded));
                String next = page.truncated() ? lastName(page) : null;
                if (next != null) {
                    S3Xml.element(xml, "NextMarker", encode(next, urlEncoded));
                }
            }
            S3Xml.element(xml, "MaxKeys", String.valueOf(q.maxKeys()));
            if (!v1) {
                S3Xml.element(
                        xml,
                        "KeyCount",
                        String.valueOf(
                                page.contents().size() + page.commonPrefixes().size()));
            }
            S3Xml.element(xml, "IsTruncated", String.valueOf(page.truncated()));
            if (!v1 && q.continuationToken() != null) {
                S3Xml.element(xml, "ContinuationToken", q.continuationToken());
            }
            if (!v1 && page.nextContinuationToken() != null) {
                S3Xml.element(xml, "NextContinuationToken", page.nextContinuationToken());
            }
            if (!v1 && q.startAfter() != null) {
                S3Xml.element(xml, "StartAfter", encode(q.startAfter(), urlEncoded));
            }
            if (urlEncoded) {
                S3Xml.element(xml, "EncodingType", "url");
            }
            for (ListedObject o : page.contents()) {
                xml.writeStartElement("Contents");
                S3Xml.element(xml, "Key", encode(o.key(), urlEncoded));
                if (o.lastModified() != null) {
                    S3Xml.element(xml, "LastModified", ISO_MILLIS.format(o.lastModified()));
                }
                if (o.etag() != null) {
                    S3Xml.element(xml, "ETag", o.etag());
                }
                S3Xml.element(xml, "Size", String.valueOf(o.size()));
                S3Xml.element(xml, "StorageClass", o.storageClass() == null ? "STANDARD" : o.storageClass());
                xml.writeEndElement();
            }
            for (String prefix : page.commonPrefixes()) {
                xml.writeStartElement("CommonPrefixes");
                S3Xml.element(xml, "Prefix", encode(prefix, urlEncoded));
                xml.writeEndElement();
            }
        });
    }

    /** With {@code encoding-type=url} S3 percent-encodes keys and prefixes, keeping slashes. */
    private static String encode(String value, boolean urlEncoded) {
        return urlEncoded ? SdkHttpUtils.urlEncodeIgnoreSlashes(value) : value;
    }
}
