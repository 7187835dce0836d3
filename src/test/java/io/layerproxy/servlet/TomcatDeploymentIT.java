package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ContainerChecks;
import io.layerproxy.testing.Forked;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.S3Keys;
import java.io.File;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.commons.io.file.PathUtils;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * target/layerproxy.war dropped into a real Tomcat 10.1 (the distribution from Maven Central, unpacked by the build)
 * as {@code webapps/layerproxy.war}, configured by LAYERPROXY_* env vars: a miss, a hit and the metrics endpoint
 * under the {@code /layerproxy} context path, every key of the key table, five redeploys each after S3 reads with no
 * leak warning from Tomcat, then a clean stop (SIGTERM) that closes the proxy.
 */
class TomcatDeploymentIT {
    private static final Pattern STARTED = Pattern.compile("(Server startup in)");
    private static final String DEPLOYED = "Deployment of web application archive";
    private static final int REDEPLOYS = 5;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    @Test
    void tomcat_servesAMissAHitAndMetricsThroughTheWar_andStopsCleanly() throws Exception {
        byte[] body = "served by Tomcat".getBytes(StandardCharsets.UTF_8);
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("tomcat").put("tomcat", "dir/x.txt", body);
            S3Keys.upload(s3, "tomcat");
        }
        Path home = Path.of(System.getProperty("tomcat.home"));
        Path base = catalinaBase(home, Ports.free());
        int port = Integer.parseInt(Files.readString(base.resolve("port")));
        var builder = Forked.java(
                // what catalina.sh adds: without them Tomcat cannot look for ThreadLocal and other leaks at all
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.rmi/sun.rmi.transport=ALL-UNNAMED",
                "-cp",
                home.resolve("bin/bootstrap.jar") + File.pathSeparator + home.resolve("bin/tomcat-juli.jar"),
                "-Dcatalina.home=" + home,
                "-Dcatalina.base=" + base,
                "-Djava.io.tmpdir=" + base.resolve("temp"),
                "-Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager",
                "-Djava.util.logging.config.file=" + base.resolve("conf/logging.properties"),
                "org.apache.catalina.startup.Bootstrap",
                "start");
        ContainerChecks.configure(builder.environment(), S3.getUri(), work.resolve("disk"));
        Path log = work.resolve("tomcat.log");
        builder.redirectOutput(log.toFile());
        Process tomcat = builder.start();
        try {
            Forked.awaitLogLine(tomcat, log, STARTED);
            assertTrue(Files.readString(log).contains("layerproxy ready"), Files.readString(log));
            URI app = URI.create("http://127.0.0.1:" + port + "/layerproxy");
            ContainerChecks.missHitAndMetrics(app, "/tomcat/dir/x.txt", body);
            S3Keys.readEveryKey(app, "tomcat");
            Path war = base.resolve("webapps/layerproxy.war");
            for (int i = 1; i <= REDEPLOYS; i++) {
                // a newer WAR: Tomcat's background check undeploys the webapp and deploys it again
                int deployed = count(log, DEPLOYED);
                Files.setLastModifiedTime(war, FileTime.fromMillis(System.currentTimeMillis() + i * 2000L));
                int expected = deployed + 1;
                Forked.awaitCondition(() -> count(log, DEPLOYED) >= expected, Duration.ofSeconds(120), log);
                S3Keys.readEveryKey(app, "tomcat"); // S3 reads in this deployment, before the next undeploy
            }
        } finally {
            tomcat.destroy(); // SIGTERM: Tomcat's shutdown hook undeploys the webapp
            assertTrue(tomcat.waitFor(60, TimeUnit.SECONDS), "Tomcat did not stop");
        }
        String output = Files.readString(log);
        assertTrue(output.contains("layerproxy stopped"), "the listener closed the proxy on undeploy:\n" + output);
        assertEquals(REDEPLOYS + 1, count(log, "layerproxy stopped"), "one clean stop per undeploy:\n" + output);
        for (String leak : new String[] {"failed to stop", "memory leak", "failed to unregister"}) {
            assertFalse(output.contains(leak), "Tomcat reports a leak (" + leak + "):\n" + output);
        }
    }

    private static int count(Path log, String text) throws java.io.IOException {
        String all = Files.readString(log);
        int n = 0;
        for (int at = all.indexOf(text); at >= 0; at = all.indexOf(text, at + 1)) {
            n++;
        }
        return n;
    }

    /** A CATALINA_BASE of our own: the distribution's conf with the HTTP port set, the shutdown port off. */
    private Path catalinaBase(Path home, int port) throws Exception {
        Path base = work.resolve("catalina-base");
        Files.createDirectories(base);
        PathUtils.copyDirectory(home.resolve("conf"), base.resolve("conf"));
        for (String dir : new String[] {"logs", "temp", "work", "webapps"}) {
            Files.createDirectories(base.resolve(dir));
        }
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml)
                .replace("port=\"8005\"", "port=\"-1\"")
                // redeploys are noticed within a second instead of ten
                .replace("<Engine name=\"Catalina\"", "<Engine backgroundProcessorDelay=\"1\" name=\"Catalina\"")
                // keys with a backslash: Tomcat refuses %5C unless told to pass it on (README, "WAR in Tomcat")
                .replace(
                        "<Connector port=\"8080\"",
                        "<Connector port=\"" + port
                                + "\" address=\"127.0.0.1\" encodedReverseSolidusHandling=\"passthrough\"");
        assertTrue(xml.contains("port=\"" + port + "\""), "server.xml has the stock HTTP connector");
        Files.writeString(serverXml, xml);
        Files.copy(
                Path.of(System.getProperty("layerproxy.war", "target/layerproxy.war")),
                base.resolve("webapps/layerproxy.war"));
        Files.writeString(base.resolve("port"), String.valueOf(port));
        return base;
    }
}
