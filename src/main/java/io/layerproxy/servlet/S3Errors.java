package io.layerproxy.servlet;

import io.layerproxy.http.S3Xml;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** S3's XML error documents, for requests that come from S3 clients (SDKs, the aws cli, rclone, s3cmd). */
final class S3Errors {
    private S3Errors() {}

    /** An S3 client request: see {@link S3Xml#fromS3Client}. */
    static boolean fromS3Client(HttpServletRequest req) {
        return S3Xml.fromS3Client(req::getHeader, Collections.list(req.getHeaderNames()));
    }

    /** The S3 error code for a status, for errors that have no more precise one. */
    static String code(int status) {
        return S3Xml.code(status);
    }

    static void write(HttpServletResponse resp, int status, String code, String message, String bucket, String key)
            throws IOException {
        byte[] body = S3Xml.error(code, message, bucket, key).getBytes(StandardCharsets.UTF_8);
        resp.resetBuffer();
        resp.setStatus(status);
        resp.setContentType("application/xml;charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        S3Xml.element(xml, name, text);
    }
}
