package io.layerproxy.fleet;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Proof that a request or a join comes from a member of the fleet, without sending the secret itself: an HMAC-SHA256
 * of what is proven, keyed with the fleet secret. A peer request carries {@code <unix seconds>.<mac of the seconds,
 * method, target and range>} in {@link #HEADER}, accepted within five minutes of the receiver's clock.
 */
final class PeerAuth {
    static final String HEADER = "X-Layerproxy-Fleet";
    private static final long SKEW_SECONDS = 300;

    private final byte[] secret;
    private final Clock clock;

    PeerAuth(String secret, Clock clock) {
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    /** The header value for a peer request. */
    String sign(String method, String target, String range) {
        String seconds = Long.toString(clock.instant().getEpochSecond());
        return seconds + "." + mac(seconds + " " + method + " " + target + " " + range);
    }

    /** Whether {@code header} proves the request came from a member, recently. */
    boolean verify(String header, String method, String target, String range) {
        int dot = header == null ? -1 : header.indexOf('.');
        if (dot <= 0) {
            return false;
        }
        long seconds;
        try {
            seconds = Long.parseLong(header.substring(0, dot));
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(clock.instant().getEpochSecond() - seconds) > SKEW_SECONDS) {
            return false;
        }
        String expected = mac(header.substring(0, dot) + " " + method + " " + target + " " + range);
        return MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.US_ASCII),
                header.substring(dot + 1).getBytes(StandardCharsets.US_ASCII));
    }

    /** The fixed proof a joining member presents to the channel. */
    byte[] joinProof() {
        return mac("layerproxy fleet join").getBytes(StandardCharsets.US_ASCII);
    }

    private String mac(String what) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(mac.doFinal(what.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
