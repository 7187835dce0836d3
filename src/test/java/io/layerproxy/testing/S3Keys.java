package io.layerproxy.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Keys S3 allows that proxies and containers get wrong, and how clients put them in a request target. */
public final class S3Keys {
    /**
     * S3's key-naming guide: the characters that "might require special handling" and those "to avoid" (control
     * characters aside: the proxy refuses them with a 400), non-ASCII, and a key of 1024 bytes (in segments under
     * the 255-byte file names of S3Proxy's filesystem backend).
     */
    public static final List<String> TABLE = List.of(
            "enc/pct%41.txt",
            "enc/100%",
            "enc/%2F-literal",
            "enc/a b+c.txt",
            "enc/amp&dollar$at@eq=semi;colon:comma,",
            "enc/question?hash#",
            "enc/back\\slash",
            "enc/{curly}^caret`tick",
            "enc/[square]\"quote\"",
            "enc/<angle>~tilde|pipe",
            "enc/plus+only",
            "enc/unicode-é-日本-🙂",
            "enc/'single'(paren)!*",
            "enc/long/" + "k".repeat(200) + "/" + "l".repeat(200) + "/" + "m".repeat(200) + "/" + "n".repeat(200) + "/"
                    + "o".repeat(1024 - 9 - 4 * 201));

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private S3Keys() {}

    /** What the table's objects hold: their own key, so a mix-up shows. */
    public static byte[] content(String key) {
        return ("content of " + key).getBytes(StandardCharsets.UTF_8);
    }

    /** Uploads every key of the table to {@code bucket} (which must exist). */
    public static void upload(S3Fixture s3, String bucket) {
        for (String key : TABLE) {
            s3.put(bucket, key, content(key));
        }
    }

    /** The aws cli's encoding of a key in a path (botocore: {@code quote(key, safe='/~')}), which curl users copy. */
    public static String awsCliPath(String key) {
        StringBuilder out = new StringBuilder();
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.~/".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /** GETs every key of the table under {@code base/bucket/}, as curl does, and checks each body. */
    public static void readEveryKey(URI base, String bucket) throws Exception {
        for (String key : TABLE) {
            HttpResponse<byte[]> response = CLIENT.send(
                    HttpRequest.newBuilder(URI.create(base + "/" + bucket + "/" + awsCliPath(key)))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, response.statusCode(), key + ": " + new String(response.body(), StandardCharsets.UTF_8));
            assertArrayEquals(content(key), response.body(), key);
        }
    }
}
