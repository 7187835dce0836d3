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
 * {@code budget} bytes per connection, then the relay goes silent without closing (a stalled origin) — or, made
 * with {@link #trickling}, sends one byte at a time with pauses shorter than any socket timeout.
 */
public final class StallingRelay implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public StallingRelay(URI target, long budget) throws IOException {
        this(target, budget, 0);
    }

    /** After {@code budget} bytes per connection, one byte every {@code everyMillis}: never silent, never done. */
    public static StallingRelay trickling(URI target, long budget, long everyMillis) throws IOException {
        return new StallingRelay(target, budget, everyMillis);
    }

    private StallingRelay(URI target, long budget, long trickleMillis) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(
                () -> {
                    while (!server.isClosed()) {
                        try {
                            Socket client = server.accept();
                            Socket upstream = new Socket(target.getHost(), target.getPort());
                            sockets.add(client);
                            sockets.add(upstream);
                            pump(client.getInputStream(), upstream.getOutputStream(), Long.MAX_VALUE, 0);
                            pump(upstream.getInputStream(), client.getOutputStream(), budget, trickleMillis);
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

    private static void pump(InputStream in, OutputStream out, long budget, long trickleMillis) {
        Thread t = new Thread(
                () -> {
                    byte[] buffer = new byte[8192];
                    long left = budget;
                    try {
                        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                            int forward = (int) Math.min(n, left);
                            out.write(buffer, 0, forward);
                            out.flush();
                            left -= forward;
                            for (int i = forward; i < n && trickleMillis > 0; i++) {
                                Thread.sleep(trickleMillis); // the trickle itself, not a test's wait
                                out.write(buffer[i]);
                                out.flush();
                            }
                            if (left <= 0 && trickleMillis == 0) {
                                return; // silent from here on
                            }
                        }
                    } catch (IOException | InterruptedException e) {
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
