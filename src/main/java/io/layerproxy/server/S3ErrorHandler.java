package io.layerproxy.server;

import io.layerproxy.http.S3Xml;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises before the filter sees the request (a path it will not decode, a bad request line) in S3's
 * XML for S3 clients, which cannot parse Jetty's HTML page (s3cmd stopped at "Malformed error XML"); others get
 * Jetty's usual page, except for requests too malformed to tell.
 */
final class S3ErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(
            Request request, Response response, int status, String message, Throwable cause, Callback callback)
            throws IOException {
        HttpFields headers = request.getHeaders();
        // no headers: Jetty gave up on the request line before reading them, so nobody can tell an S3 client; S3's
        // XML is what every S3 tool parses, and it reads as text too
        if (headers.size() > 0 && !S3Xml.fromS3Client(headers::get, headers.getFieldNamesCollection())) {
            super.generateResponse(request, response, status, message, cause, callback);
            return;
        }
        String text = message == null ? HttpStatus.getMessage(status) : message;
        String code = status == 400 && text.contains("URI") ? "InvalidURI" : S3Xml.code(status);
        byte[] body = S3Xml.error(code, text, null, null).getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/xml;charset=utf-8");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }
}
