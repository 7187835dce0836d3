package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/** An unmodified AWS SDK for Java v2 reads through the proxy: anonymous, path-style, pointed at the proxy. */
class S3ClientCompatibilityTest {
    private static final byte[] MODEL = S3Fixture.bytes(300_000, 9);

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;
    private ProxyServer proxy;
    private S3Client client;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Fixture(S3).bucket("models");
        s3.put("models", "llm/weights.bin", MODEL, "application/octet-stream", Map.of("version", "7"), null, null);
        s3.put("models", "llm/config.json", "{}".getBytes(StandardCharsets.UTF_8));
        s3.put("models", "llm/sub/a b+c.txt", "spaces".getBytes(StandardCharsets.UTF_8));
        s3.put("models", "other/x", "x".getBytes(StandardCharsets.UTF_8));
        s3.bucket("private").put("private", "p", "p".getBytes(StandardCharsets.UTF_8));
        proxy = ProxyServer.start(
                s3.endpoint(), disk, S3Fixture.credentialsEnv(), "buckets", "models", "block-size", "65536");
        client = proxy.anonymousS3Client();
    }

    @AfterEach
    void stop() {
        client.close();
        proxy.close();
        s3.close();
    }

    @Test
    void headObject() {
        HeadObjectResponse head = client.headObject(b -> b.bucket("models").key("llm/weights.bin"));

        assertEquals(MODEL.length, head.contentLength());
        assertEquals(
                s3.client()
                        .headObject(b -> b.bucket("models").key("llm/weights.bin"))
                        .eTag(),
                head.eTag());
        assertEquals(Map.of("version", "7"), head.metadata());
    }

    @Test
    void getObject_wholeAndRanged() {
        ResponseBytes<GetObjectResponse> whole =
                client.getObjectAsBytes(b -> b.bucket("models").key("llm/weights.bin"));
        ResponseBytes<GetObjectResponse> part = client.getObjectAsBytes(
                b -> b.bucket("models").key("llm/weights.bin").range("bytes=100000-199999"));

        assertArrayEquals(MODEL, whole.asByteArray());
        assertArrayEquals(Arrays.copyOfRange(MODEL, 100_000, 200_000), part.asByteArray());
        assertEquals("bytes 100000-199999/300000", part.response().contentRange());
    }

    @Test
    void listObjectsV2_withPrefixAndDelimiter() {
        ListObjectsV2Response flat =
                client.listObjectsV2(b -> b.bucket("models").prefix("llm/"));
        ListObjectsV2Response tree =
                client.listObjectsV2(b -> b.bucket("models").prefix("llm/").delimiter("/"));

        assertEquals(
                List.of("llm/config.json", "llm/sub/a b+c.txt", "llm/weights.bin"),
                flat.contents().stream().map(S3Object::key).toList());
        assertEquals(MODEL.length, flat.contents().get(2).size());
        assertEquals(
                List.of("llm/config.json", "llm/weights.bin"),
                tree.contents().stream().map(S3Object::key).toList());
        assertEquals("llm/sub/", tree.commonPrefixes().get(0).prefix());
    }

    @Test
    void listObjectsV2_paginates() {
        List<String> keys = client
                .listObjectsV2Paginator(b -> b.bucket("models").maxKeys(2))
                .contents()
                .stream()
                .map(S3Object::key)
                .toList();

        assertEquals(List.of("llm/config.json", "llm/sub/a b+c.txt", "llm/weights.bin", "other/x"), keys);
    }

    @Test
    void listObjectsV1_paginatesWithMarkers() {
        List<String> keys = new java.util.ArrayList<>();
        String marker = null;
        boolean truncated = true;
        while (truncated) {
            String from = marker;
            var page = client.listObjects(b -> b.bucket("models").maxKeys(2).marker(from));
            page.contents().forEach(o -> keys.add(o.key()));
            truncated = page.isTruncated();
            marker = keys.get(keys.size() - 1);
        }
        var tree = client.listObjects(
                b -> b.bucket("models").prefix("llm/").delimiter("/").maxKeys(1));

        assertEquals(List.of("llm/config.json", "llm/sub/a b+c.txt", "llm/weights.bin", "other/x"), keys);
        assertEquals(true, tree.isTruncated());
        assertEquals("llm/config.json", tree.nextMarker(), "with a delimiter, S3 names where to resume");
    }

    @Test
    void missingKey_isNoSuchKey_forGetAndHead() {
        assertThrows(
                NoSuchKeyException.class,
                () -> client.getObjectAsBytes(b -> b.bucket("models").key("nope")));
        assertThrows(
                NoSuchKeyException.class,
                () -> client.headObject(b -> b.bucket("models").key("nope")));
    }

    @Test
    void bucketOutsideTheAllowlist_isNoSuchBucket() {
        assertThrows(
                NoSuchBucketException.class,
                () -> client.getObjectAsBytes(b -> b.bucket("private").key("p")));
        assertThrows(NoSuchBucketException.class, () -> client.listObjectsV2(b -> b.bucket("private")));
        assertEquals(0, proxy.origin().requests() + proxy.origin().lists());
    }

    @Test
    void aRangedReadOfAColdObject_fetchesOnlyTheBlocksItNeeds() {
        // 300000 bytes in 64 KiB blocks: 100000-199999 lies in blocks 1..3
        client.getObjectAsBytes(b -> b.bucket("models").key("llm/weights.bin").range("bytes=100000-199999"));

        assertEquals(1, proxy.origin().reads());
        assertEquals(3 * 65536, proxy.origin().bytesAsked(), "blocks 1, 2 and 3 only");

        client.getObjectAsBytes(b -> b.bucket("models").key("llm/weights.bin").range("bytes=140000-150000"));
        assertEquals(1, proxy.origin().reads(), "inside cached blocks: no S3 read");
    }
}
