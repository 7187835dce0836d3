package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** POST /_layerproxy/purge: needs the admin token, then removes a key or a prefix from every local layer. */
class AdminEndpointTest {
    private static final String TOKEN = "s3cr3t-admin-token-0123";

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private static HttpRequest purge(ProxyServer proxy, String query, String authorization) {
        var b = HttpRequest.newBuilder(proxy.uri("/_layerproxy/purge?" + query))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b.build();
    }

    @Test
    void purge_needsTheToken_thenRemovesTheKeyAndThePrefixFromEveryLayer() throws Exception {
        try (var s3 = new S3Fixture(s3Server)
                        .bucket("adm")
                        .put("adm", "a/1", S3Fixture.bytes(5000, 1))
                        .put("adm", "a/2", S3Fixture.bytes(5000, 2))
                        .put("adm", "b/1", S3Fixture.bytes(5000, 3));
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "admin-token", TOKEN)) {
            for (String key : new String[] {"a/1", "a/2", "b/1"}) {
                proxy.get("/adm/" + key);
            }

            HttpResponse<byte[]> none = proxy.send(purge(proxy, "key=adm/a/1", null));
            assertEquals(401, none.statusCode());
            assertEquals(
                    "Bearer realm=\"layerproxy\"",
                    none.headers().firstValue("WWW-Authenticate").orElse(""));
            assertEquals(
                    401,
                    proxy.send(purge(proxy, "key=adm/a/1", "Bearer wrong-token-0123456"))
                            .statusCode());
            assertEquals(400, proxy.send(purge(proxy, "", "Bearer " + TOKEN)).statusCode(), "neither key nor prefix");
            assertEquals(
                    "HIT", proxy.get("/adm/a/1").headers().firstValue("X-Cache").orElse(""), "still cached");

            HttpResponse<byte[]> byKey = proxy.send(purge(proxy, "key=adm/b/1", "Bearer " + TOKEN));
            assertEquals(200, byKey.statusCode());
            assertEquals("{\"purged\":1}\n", new String(byKey.body(), StandardCharsets.UTF_8));
            HttpResponse<byte[]> byPrefix = proxy.send(purge(proxy, "prefix=adm/a/", "Bearer " + TOKEN));
            assertEquals("{\"purged\":2}\n", new String(byPrefix.body(), StandardCharsets.UTF_8));

            int gets = proxy.origin().fetches();
            for (String key : new String[] {"a/1", "a/2", "b/1"}) {
                HttpResponse<byte[]> r = proxy.get("/adm/" + key);
                assertEquals("MISS", r.headers().firstValue("X-Cache").orElse(""), key);
                assertEquals(5000, r.body().length);
            }
            assertEquals(gets + 3, proxy.origin().fetches(), "memory and disk both forgot them");
            assertArrayEquals(S3Fixture.bytes(5000, 3), proxy.get("/adm/b/1").body());
        }
    }
}
