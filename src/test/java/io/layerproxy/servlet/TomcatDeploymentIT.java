package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ContainerChecks;
import io.layerproxy.testing.Forked;
import io.layerproxy.testing.S3Fixture;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * under the {@code /layerproxy} context path, then a clean stop (SIGTERM) that closes the proxy.
 */
class TomcatDeploymentIT {
    private static final Pattern STARTED = Pattern.compile("(Server startup in)");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    @Test
    void tomcat_servesAMissAHitAndMetricsThroughTheWar_andStopsCleanly() throws Exception {
        byte[] body = "served by Tomcat".getBytes(StandardCharsets.UTF_8);
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("tomcat").put("tomcat", "dir/x.txt", body);
        }
        Path home = Path.of(System.getProperty("tomcat.home"));
        Path base = catalinaBase(home, free());
        int port = Integer.parseInt(Files.readString(base.resolve("port")));
        var builder = Forked.java(
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
            ContainerChecks.missHitAndMetrics(
                    URI.create("http://127.0.0.1:" + port + "/layerproxy"), "/tomcat/dir/x.txt", body);
        } finally {
            tomcat.destroy(); // SIGTERM: Tomcat's shutdown hook undeploys the webapp
            assertTrue(tomcat.waitFor(60, TimeUnit.SECONDS), "Tomcat did not stop");
        }
        String output = Files.readString(log);
        assertTrue(output.contains("layerproxy stopped"), "the listener closed the proxy on undeploy:\n" + output);
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
                .replace("<Connector port=\"8080\"", "<Connector port=\"" + port + "\" address=\"127.0.0.1\"");
        assertTrue(xml.contains("port=\"" + port + "\""), "server.xml has the stock HTTP connector");
        Files.writeString(serverXml, xml);
        Files.copy(
                Path.of(System.getProperty("layerproxy.war", "target/layerproxy.war")),
                base.resolve("webapps/layerproxy.war"));
        Files.writeString(base.resolve("port"), String.valueOf(port));
        return base;
    }

    private static int free() throws Exception {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
