package io.layerproxy.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The library artifact embeds cleanly: its jar holds layerproxy's classes only, and a webapp that depends on it
 * (src/it/consumer-webapp, built by maven-invoker-plugin against the installed artifact) gets no server, CLI, servlet
 * API or logging backend in its WEB-INF/lib.
 */
class LibraryArtifactIT {
    private static final List<String> NOT_IN_A_LIBRARY = List.of("jetty-", "picocli", "slf4j-simple", "servlet-api");

    @Test
    void libraryJar_holdsNoJettyPicocliOrLoggingBackend() throws Exception {
        Path jar = Path.of(System.getProperty("layerproxy.library.jar"));
        try (var zip = new ZipFile(jar.toFile())) {
            List<String> names = zip.stream().map(ZipEntry::getName).toList();
            assertTrue(names.contains("io/layerproxy/servlet/LayerProxyFilter.class"), names.toString());
            for (String foreign : List.of("org/eclipse/jetty/", "picocli/", "org/slf4j/", "jakarta/")) {
                assertFalse(names.stream().anyMatch(n -> n.startsWith(foreign)), foreign + " in " + jar);
            }
        }
        assertTrue(Files.size(jar) < 2_000_000, "the library jar is " + Files.size(jar) + " bytes");
    }

    @Test
    void aWebappDependingOnTheLibrary_getsNoServerCliServletApiOrLoggingBackend() throws Exception {
        Path war = Path.of(System.getProperty("layerproxy.consumer.war"));
        assertTrue(Files.isRegularFile(war), "maven-invoker-plugin did not build " + war);
        try (var zip = new ZipFile(war.toFile())) {
            List<String> libs = zip.stream()
                    .map(ZipEntry::getName)
                    .filter(n -> n.startsWith("WEB-INF/lib/"))
                    .toList();
            assertTrue(libs.stream().anyMatch(n -> n.startsWith("WEB-INF/lib/layerproxy-")), libs.toString());
            assertTrue(libs.stream().anyMatch(n -> n.contains("ehcache")), libs.toString());
            for (String foreign : NOT_IN_A_LIBRARY) {
                assertFalse(libs.stream().anyMatch(n -> n.contains(foreign)), foreign + " in " + libs);
            }
        }
    }
}
