package io.layerproxy.config;

import io.layerproxy.fleet.Fleet;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The fleet options ({@code --fleet-*}): none set is a single node; any set needs the secret. */
final class FleetOptions {
    private FleetOptions() {}

    static Fleet.@Nullable Settings settings(ConfigParser.Values values, long blockSize) {
        List<String> peerTexts = values.list(Option.FLEET_PEERS);
        String dns = values.single(Option.FLEET_DNS);
        String secret = values.single(Option.FLEET_SECRET);
        String advertise = values.single(Option.FLEET_ADVERTISE);
        boolean fleet = !peerTexts.isEmpty() || dns != null;
        if (!fleet) {
            if (secret != null || advertise != null) {
                throw new ConfigException("fleet-secret and fleet-advertise need fleet-peers or fleet-dns");
            }
            return null;
        }
        if (!peerTexts.isEmpty() && dns != null) {
            throw new ConfigException("fleet-peers and fleet-dns are two ways to find the members: give one");
        }
        if (secret == null || secret.length() < 16) {
            throw new ConfigException("fleet mode needs fleet-secret, 16 characters or more, the same on every member"
                    + (secret == null ? "" : "; was: " + secret.length() + " characters"));
        }
        List<InetSocketAddress> peers = new ArrayList<>();
        for (String peer : peerTexts) {
            ConfigParser.HostPort parsed = ConfigParser.hostPort(Option.FLEET_PEERS, peer, false, 1);
            // JGroups' static discovery wants resolved addresses: a name that does not resolve is an error at start
            InetSocketAddress resolved = new InetSocketAddress(parsed.host(), parsed.port());
            if (resolved.isUnresolved()) {
                throw new ConfigException("fleet-peers: cannot resolve " + parsed.host());
            }
            peers.add(resolved);
        }
        ConfigParser.HostPort bind =
                ConfigParser.hostPort(Option.FLEET_BIND, values.single(Option.FLEET_BIND), true, 1);
        String spanText = values.single(Option.FLEET_SPAN_BLOCKS);
        int spanBlocks =
                (int) ConfigParser.integer(Option.FLEET_SPAN_BLOCKS, spanText, spanText, 1, 4096, "between 1 and 4096");
        if (blockSize * spanBlocks > (1L << 30)) {
            throw new ConfigException("a fleet span (block-size x fleet-span-blocks) must be at most 1 GiB");
        }
        return new Fleet.Settings(bind.host(), bind.port(), List.copyOf(peers), dns, secret, spanBlocks);
    }

    static @Nullable URI advertise(ConfigParser.Values values) {
        String text = values.single(Option.FLEET_ADVERTISE);
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw ConfigParser.invalid(Option.FLEET_ADVERTISE, "an http:// URL", text);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw ConfigParser.invalid(Option.FLEET_ADVERTISE, "an http:// URL", text);
        }
    }
}
