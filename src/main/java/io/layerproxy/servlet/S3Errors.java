package io.layerproxy.servlet;

import io.layerproxy.http.S3Xml;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;

/** S3's XML error documents, for requests that come from S3 clients (SDKs, the aws cli, rclone, s3cmd). */
final class S3Errors {
    private S3Errors() {}

    /** An S3 client request: see {@link S3Xml#fromS3Client}. */
    static boolean fromS3Client(HttpServletRequest req) {
        return S3Xml.fromS3Client(req::getHeader, Collections.list(req.getHeaderNames()));
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
}
