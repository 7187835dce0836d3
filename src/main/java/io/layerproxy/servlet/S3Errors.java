package io.layerproxy.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** S3's XML error documents, for requests that come from S3 clients (SDKs, the aws cli). */
final class S3Errors {
    private static final XMLOutputFactory XML = XMLOutputFactory.newFactory();

    private S3Errors() {}

    /** An S3 client request: signed by an AWS SDK, or carrying the SDK's or S3's own headers. */
    static boolean fromS3Client(HttpServletRequest req) {
        String auth = req.getHeader("Authorization");
        if (auth != null && auth.startsWith("AWS")) {
            return true;
        }
        for (String name : Collections.list(req.getHeaderNames())) {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("x-amz-") || lower.startsWith("amz-sdk-")) {
                return true;
            }
        }
        String agent = req.getHeader("User-Agent");
        return agent != null && (agent.startsWith("aws-") || agent.contains("aws-sdk") || agent.contains("Boto"));
    }

    /** The S3 error code for a status, for errors that have no more precise one. */
    static String code(int status) {
        return switch (status) {
            case 400 -> "InvalidArgument";
            case 403 -> "AccessDenied";
            case 404 -> "NoSuchKey";
            case 405 -> "MethodNotAllowed";
            case 412 -> "PreconditionFailed";
            case 416 -> "InvalidRange";
            case 501 -> "NotImplemented";
            case 503 -> "SlowDown";
            case 504 -> "RequestTimeout";
            default -> status >= 500 ? "InternalError" : "InvalidRequest";
        };
    }

    static void write(HttpServletResponse resp, int status, String code, String message, String bucket, String key)
            throws IOException {
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
            throw new IOException(e);
        }
        resp.resetBuffer();
        resp.setStatus(status);
        resp.setContentType("application/xml;charset=utf-8");
        byte[] body = out.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(text);
        xml.writeEndElement();
    }
}
