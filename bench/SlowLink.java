import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP relay that makes a local S3-compatible server answer like S3 does across a network: every request waits
 * LATENCY_MS before it reaches the server (S3's first-byte latency, tens of ms), and each connection's answers
 * flow at most BYTES_PER_SECOND (S3 gives one connection roughly 50-100 MB/s; more comes from more connections).
 * Run with the JDK's single-file launcher, nothing to build:
 *
 *   java bench/SlowLink.java LISTEN_PORT TARGET_PORT LATENCY_MS BYTES_PER_SECOND
 */
public final class SlowLink {
    public static void main(String[] args) throws IOException {
        int listen = Integer.parseInt(args[0]);
        int target = Integer.parseInt(args[1]);
        long latencyMillis = Long.parseLong(args[2]);
        long bytesPerSecond = Long.parseLong(args[3]);
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listen), 1024);
            System.err.printf("SlowLink :%d -> :%d, %d ms a request, %d B/s a connection%n",
                    listen, target, latencyMillis, bytesPerSecond);
            while (true) {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                start(() -> requests(client, upstream, latencyMillis));
                start(() -> answers(upstream, client, bytesPerSecond));
            }
        }
    }

    private static void start(Runnable task) {
        Thread t = new Thread(task);
        t.setDaemon(true);
        t.start();
    }

    /** Client to server: each burst of request bytes (a request: S3 clients send no bodies here) waits first. */
    private static void requests(Socket from, Socket to, long latencyMillis) {
        byte[] buffer = new byte[64 << 10];
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                Thread.sleep(latencyMillis);
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side closed: both go
        }
    }

    /**
     * Server to client through a token bucket: BYTES_PER_SECOND, bursts of at most 64 KiB. The bucket may go into
     * debt, and the relay parks only once the debt is worth a millisecond: sleeping per 16 KiB chunk rounds every
     * wait up to a whole millisecond and caps a connection far below the rate.
     */
    private static void answers(Socket from, Socket to, long bytesPerSecond) {
        byte[] buffer = new byte[16 << 10];
        double burst = 64 << 10;
        try (from; to) {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            double tokens = burst;
            long last = System.nanoTime();
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                long now = System.nanoTime();
                tokens = Math.min(burst, tokens + (now - last) * (double) bytesPerSecond / 1e9) - n;
                last = now;
                long debtNanos = (long) (-tokens * 1e9 / bytesPerSecond);
                if (debtNanos >= 1_000_000) {
                    LockSupport.parkNanos(debtNanos);
                }
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // one side closed: both go
        }
    }
}
