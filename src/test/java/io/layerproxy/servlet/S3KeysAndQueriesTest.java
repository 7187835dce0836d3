package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.RawHttp;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.S3Keys;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Any key S3 allows, read through the standalone proxy by the SDK and by a plain HTTP client percent-encoding as
 * curl users and the aws cli do; and S3's GetObject query parameters and bucket-level reads.
 */
class S3KeysAndQueriesTest {
    private static final List<String> KEYS = S3Keys.TABLE;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;
    private ProxyServer proxy;
    private S3Client client;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Fixture(S3).bucket("keys");
        S3Keys.upload(s3, "keys");
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "buckets", "keys");
        client = proxy.anonymousS3Client();
    }

    @AfterEach
    void stop() {
        client.close();
        proxy.close();
        s3.close();
    }

    private static byte[] content(String key) {
        return S3Keys.content(key);
    }

    private static String awsCliPath(String key) {
        return S3Keys.awsCliPath(key);
    }

    private HttpResponse<byte[]> get(String rawPath, String... headers) throws Exception {
        var request = HttpRequest.newBuilder(URI.create(proxy.uri("").toString().replaceAll("/$", "") + rawPath));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void everyKeyOfTheTable_readsBackIdentically_throughTheSdk_twice() {
        for (int round = 0; round < 2; round++) { // a miss, then a hit
            for (String key : KEYS) {
                ResponseBytes<GetObjectResponse> got =
                        client.getObjectAsBytes(b -> b.bucket("keys").key(key));
                assertArrayEquals(content(key), got.asByteArray(), key);
                assertEquals(
                        content(key).length,
                        client.headObject(b -> b.bucket("keys").key(key)).contentLength());
            }
        }
    }

    @Test
    void everyKeyOfTheTable_readsBackIdentically_asCurlSendsIt() throws Exception {
        S3Keys.readEveryKey(URI.create(proxy.uri("").toString().replaceAll("/$", "")), "keys");
    }

    @Test
    void listingThroughTheProxy_namesEveryKeyOfTheTable() {
        List<String> listed = client.listObjectsV2Paginator(b -> b.bucket("keys")).contents().stream()
                .map(S3Object::key)
                .toList();
        assertEquals(KEYS.stream().sorted().toList(), listed);
    }

    @Test
    void dotSegmentsEncodedSlashesAndBadEncodings_stay400_inS3XmlForS3Clients() throws Exception {
        for (String path : List.of(
                "/keys/a/%2e%2e/b",
                "/keys/a/../b", "/keys/a%2Fb", "/keys/..%5c..%5cx", "/keys/%FF%FE", "/keys/a%2", "/keys/nul%00")) {
            RawHttp.Answer answer =
                    RawHttp.send(proxy.uri(""), "GET", path, new String[] {"User-Agent: aws-cli/2.15.0"}, null);
            assertEquals(400, answer.status(), path);
            assertTrue(
                    answer.text().startsWith("<?xml") && answer.text().contains("<Code>"), path + ": " + answer.text());
        }
    }

    @Test
    void listObjectsV1_withoutSdkHeaders_isAListing_asRcloneSendsIt() throws Exception {
        HttpResponse<byte[]> response = get("/keys?delimiter=%2F&max-keys=1000&prefix=", "User-Agent", "curl/8.0");

        assertEquals(200, response.statusCode());
        String xml = new String(response.body(), StandardCharsets.UTF_8);
        assertTrue(xml.contains("<ListBucketResult"), xml);
        assertTrue(xml.contains("<Prefix>enc/</Prefix>"), xml);
    }

    @Test
    void listBuckets_namesTheAllowlist() {
        List<String> buckets =
                client.listBuckets().buckets().stream().map(Bucket::name).toList();
        assertEquals(List.of("keys"), buckets);
    }

    @Test
    void versionId_onAnOriginWithoutVersions_isTheOriginsRefusal_neverTheCurrentObject() throws Exception {
        S3Exception refused = assertThrows(
                S3Exception.class,
                () -> client.getObjectAsBytes(
                        b -> b.bucket("keys").key(KEYS.get(0)).versionId("v1")));
        assertEquals(501, refused.statusCode()); // S3Proxy: NotImplemented

        HttpResponse<byte[]> plain = get("/keys/" + awsCliPath(KEYS.get(0)) + "?versionId=v1");
        assertNotEquals(200, plain.statusCode());
        assertTrue(
                plain.body().length < 200 && !new String(plain.body(), StandardCharsets.UTF_8).contains("content of"));
    }

    @Test
    void responseOverrides_applyToCachedAnswers() throws Exception {
        String path = "/keys/" + awsCliPath(KEYS.get(3));
        get(path); // cached now
        HttpResponse<byte[]> overridden = get(path
                + "?response-content-type=text/plain&response-content-disposition=attachment%3B%20filename%3Dx.txt"
                + "&response-cache-control=no-cache");

        assertEquals(200, overridden.statusCode());
        assertEquals("HIT", overridden.headers().firstValue("X-Cache").orElseThrow());
        assertTrue(overridden.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"));
        assertEquals(
                "attachment; filename=x.txt",
                overridden.headers().firstValue("Content-Disposition").orElseThrow());
        assertEquals(
                "no-cache", overridden.headers().firstValue("Cache-Control").orElseThrow());
        assertArrayEquals(content(KEYS.get(3)), overridden.body());
    }

    @Test
    void anOverrideToAnActiveContentType_isIgnored() throws Exception {
        String path = "/keys/" + awsCliPath(KEYS.get(3));
        String type = get(path).headers().firstValue("Content-Type").orElseThrow();
        for (String active : List.of("text/html", "image/svg%2Bxml", "application/xhtml%2Bxml", "text/javascript")) {
            HttpResponse<byte[]> response = get(path + "?response-content-type=" + active);
            assertEquals(200, response.statusCode());
            assertEquals(type, response.headers().firstValue("Content-Type").orElseThrow(), active);
        }
    }

    @Test
    void rawNonAsciiNextToAnEscape_decodesToTheSameKey() {
        assertEquals("enc/unicode-é-日本-🙂%", RequestPath.decode("enc/unicode-%C3%A9-日本-🙂%25"));
    }

    @Test
    void otherOperationsOnAnObject_areRefused_notAnsweredWithItsBytes() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (String query : List.of("acl", "tagging", "attributes", "partNumber=1", "uploadId=x")) {
            HttpResponse<byte[]> response = get("/keys/" + awsCliPath(KEYS.get(0)) + "?" + query);
            statuses.add(response.statusCode());
            assertTrue(!new String(response.body(), StandardCharsets.UTF_8).contains("content of"), query);
        }
        assertEquals(List.of(501, 501, 501, 501, 501), statuses);
        assertThrows(
                S3Exception.class,
                () -> client.getObjectAcl(b -> b.bucket("keys").key(KEYS.get(0))));
    }

    @Test
    void getBucketLocation_answersTheConfiguredRegion() {
        assertEquals("", client.getBucketLocation(b -> b.bucket("keys")).locationConstraintAsString());
        assertEquals(
                404,
                assertThrows(S3Exception.class, () -> client.getBucketLocation(b -> b.bucket("other")))
                        .statusCode());
    }
}
