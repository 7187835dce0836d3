package io.layerproxy.fleet;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Highest-random-weight (rendezvous) hashing: the owner of a span is the member whose hash with the span's id is
 * highest. Every node computes the same owner from the same view, and a view change moves only the spans of the
 * members that came or went (about 1/N of them on a join). Internal, not API.
 */
final class Rendezvous {
    private Rendezvous() {}

    /** The member of {@code members} (non-empty) that owns {@code spanId}. */
    static String owner(String spanId, List<String> members) {
        long span = fnv(spanId);
        String best = null;
        long bestWeight = 0;
        for (String member : members) {
            long weight = mix(fnv(member) ^ span);
            if (best == null || Long.compareUnsigned(weight, bestWeight) > 0) {
                best = member;
                bestWeight = weight;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no members");
        }
        return best;
    }

    /** FNV-1a, 64 bits, over the UTF-8 bytes. */
    static long fnv(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** MurmurHash3's 64-bit finalizer: every input bit flips about half the output bits. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
