package io.layerproxy.servlet;

import io.layerproxy.CachedObject;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.http.ByteRanges.Range;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** RFC 9110 §14.6: several ranges as {@code multipart/byteranges}, each part streamed from the blocks. */
final class MultipartRanges {
    private MultipartRanges() {}

    static void send(
            HttpServletRequest req,
            HttpServletResponse resp,
            ObjectKey key,
            CachedObject lookup,
            List<Range> parts,
            boolean head)
            throws IOException {
        ObjectInfo info = lookup.info();
        byte[] random = new byte[12];
        ThreadLocalRandom.current().nextBytes(random);
        String boundary = "layerproxy-" + HexFormat.of().formatHex(random);
        String type = info.contentType() != null
                ? info.contentType()
                : req.getServletContext().getMimeType(key.key());
        List<byte[]> partHeaders = new ArrayList<>();
        long length = 0;
        for (Range part : parts) {
            byte[] h = ("\r\n--" + boundary + "\r\nContent-Type: " + (type == null ? "application/octet-stream" : type)
                            + "\r\nContent-Range: bytes " + part.first() + "-" + part.last() + "/" + info.size()
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            partHeaders.add(h);
            length += h.length + part.length();
        }
        byte[] trailer = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        length += trailer.length;

        resp.setStatus(HttpServletResponse.SC_PARTIAL_CONTENT);
        ObjectBody first =
                head ? null : lookup.open(parts.get(0).first(), parts.get(0).last() + 1);
        try {
            Responses.objectHeaders(req, resp, key, info, lookup, first == null ? lookup.source() : first.firstLayer());
            resp.setContentType("multipart/byteranges; boundary=" + boundary);
            resp.setContentLengthLong(length);
            if (head) {
                return;
            }
            ServletOutputStream out = resp.getOutputStream();
            for (int i = 0; i < parts.size(); i++) {
                out.write(partHeaders.get(i));
                Range part = parts.get(i);
                // every part reads the same version: a change aborts the response instead of mixing versions
                try (ObjectBody body = i == 0 ? first : lookup.open(part.first(), part.last() + 1)) {
                    body.writeTo(out);
                }
            }
            out.write(trailer);
        } finally {
            if (first != null) {
                first.close();
            }
        }
    }
}
