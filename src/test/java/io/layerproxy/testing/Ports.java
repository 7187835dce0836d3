package io.layerproxy.testing;

import java.io.IOException;
import java.net.ServerSocket;

/** Ports for servers a test must start on a known port (a restart on the same address, peers listed up front). */
public final class Ports {
    private Ports() {}

    /** A port free a moment ago: the system's pick for a socket, closed again. */
    public static int free() throws IOException {
        try (var socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
