package io.layerproxy.http;

import java.io.StringWriter;
import java.util.Locale;
import java.util.function.Function;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.jspecify.annotations.Nullable;

/**
 * S3's side of HTTP, without a servlet: who is an S3 client, and S3's XML error document. Shared by the filter and
 * the standalone server's error handler (errors Jetty raises before the filter). Internal, not API.
 */
public final class S3Xml {
    private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();

    private S3Xml() {}

    /**
     * An S3 client request: signed by an AWS SDK, carrying the SDK's or S3's own headers, or from a known S3 tool.
     *
     * @param header      a request header's value by name, or null
     * @param headerNames the names of the request's headers
     */
    public static boolean fromS3Client(Function<String, @Nullable String> header, Iterable<String> headerNames) {
        String auth = header.apply("Authorization");
        if (auth != null && auth.startsWith("AWS")) {
            return true;
        }
        for (String name : headerNames) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.startsWith("x-amz-") || lower.startsWith("amz-sdk-")) {
                return true;
            }
        }
        String agent = header.apply("User-Agent");
        if (agent == null) {
            return false;
        }
        // unsigned clients (anonymous rclone, mc) are known by name: they parse S3 XML, not a text page
        String lower = agent.toLowerCase(Locale.ROOT);
        return lower.startsWith("aws-")
                || lower.contains("aws-sdk")
                || lower.contains("boto")
                || lower.startsWith("rclone/")
                || lower.startsWith("s3cmd")
                || lower.startsWith("minio ");
    }

    /** The S3 error code for a status, for errors that have no more precise one. */
    public static String code(int status) {
        return switch (status) {
            case 400 -> "InvalidArgument";
            case 403 -> "AccessDenied";
            case 404 -> "NoSuchKey";
            case 405 -> "MethodNotAllowed";
            case 412 -> "PreconditionFailed";
            case 416 -> "InvalidRange";
            case 431 -> "RequestHeaderSectionTooLarge";
            case 501 -> "NotImplemented";
            case 503 -> "SlowDown";
            case 504 -> "RequestTimeout";
            default -> status >= 500 ? "InternalError" : "InvalidRequest";
        };
    }

    /** S3's error document; {@code bucket} and {@code key} are left out when null. */
    public static String error(String code, String message, @Nullable String bucket, @Nullable String key) {
        var out = new StringWriter();
        try {
            XMLStreamWriter xml = XML.createXMLStreamWriter(out);
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeStartElement("Error");
            element(xml, "Code", code);
            element(xml, "Message", message);
            if (bucket != null) {
                element(xml, "BucketName", bucket);
            }
            if (key != null) {
                element(xml, "Key", key);
            }
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("writing XML to a string failed", e);
        }
        return out.toString();
    }

    public static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(text);
        xml.writeEndElement();
    }
}
