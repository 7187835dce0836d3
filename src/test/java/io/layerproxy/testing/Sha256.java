package io.layerproxy.testing;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/** SHA-256 of bodies, for tests that compare what many clients got without holding the bytes. */
public final class Sha256 {
    private Sha256() {}

    public static String of(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /** Reads {@code in} to its end (closing it); {@code afterRead} gets the byte count so far after each read. */
    public static String of(InputStream in, LongConsumer afterRead) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        long read = 0;
        try (in) {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
                read += n;
                afterRead.accept(read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The distinct results of {@code shas}, in order, each awaited up to 5 minutes. */
    public static List<String> distinct(List<Future<String>> shas) throws Exception {
        List<String> distinct = new ArrayList<>();
        for (Future<String> sha : shas) {
            String s = sha.get(5, TimeUnit.MINUTES);
            if (!distinct.contains(s)) {
                distinct.add(s);
            }
        }
        return distinct;
    }
}
