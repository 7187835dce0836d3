package io.layerproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fault-injecting TCP hop in front of a real server: requests pass through, responses pass through until
 * {@code budget} bytes per connection, then the relay goes silent without closing (a stalled origin).
 */
public final class StallingRelay implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public StallingRelay(URI target, long budget) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try {
                            Socket client = server.accept();
                            Socket upstream = new Socket(target.getHost(), target.getPort());
                            sockets.add(client);
                            sockets.add(upstream);
                            pump(client.getInputStream(), upstream.getOutputStream(), Long.MAX_VALUE);
                            pump(upstream.getInputStream(), client.getOutputStream(), budget);
                        } catch (IOException e) {
                            return; // closed
                        }
                    }
                },
                "stalling-relay");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private static void pump(InputStream in, OutputStream out, long budget) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[8192];
                    long left = budget;
                    try {
                        for (int n = in.read(buffer); n >= 0 && left > 0; n = in.read(buffer)) {
                            int forward = (int) Math.min(n, left);
                            out.write(buffer, 0, forward);
                            out.flush();
                            left -= forward;
                        }
                    } catch (IOException e) {
                        // a side closed: the pump ends
                    }
                },
                "stalling-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
