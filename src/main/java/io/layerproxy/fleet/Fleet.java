package io.layerproxy.fleet;

import io.layerproxy.ObjectKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.protocols.AUTH;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ExtendedUUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's place in a fleet of proxies: membership from a JGroups channel (TCP, discovery by a static list or
 * DNS, failure detection and merges from JGroups itself, joins refused without the fleet secret), the owner of
 * each span by rendezvous hashing over the members' HTTP addresses, peers to avoid for a while after they failed,
 * and drops (purges, invalidations) broadcast to every member.
 */
public final class Fleet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Fleet.class);
    /** The header a peer request carries: proof that it comes from a member (see {@link #verifyPeer}). */
    public static final String PEER_HEADER = PeerAuth.HEADER;

    private static final String HTTP = "layerproxy-http";
    private static final long AVOID_MILLIS = 30_000;
    /** Set while this node applies a drop another member broadcast, so it is not broadcast back. */
    private static final ThreadLocal<Boolean> APPLYING = new ThreadLocal<>();

    /**
     * How a fleet is formed. {@code peers} (static discovery) or {@code dns} (a name whose A records are the
     * members); {@code spanBlocks} blocks per span, the unit of ownership.
     */
    public record Settings(
            @Nullable String bindHost,
            int bindPort,
            List<InetSocketAddress> peers,
            @Nullable String dns,
            String secret,
            int spanBlocks) {}

    /**
     * A purge or invalidation to apply on every member: of one key ({@code name}, with its {@code versionId} or
     * null), or of every key under a prefix ({@code prefix} true, {@code name} the prefix).
     */
    public record Drop(
            boolean prefix,
            String bucket,
            String name,
            @Nullable String versionId) {
        public static Drop of(ObjectKey key) {
            return new Drop(false, key.bucket(), key.key(), key.versionId());
        }
    }

    /** What a member does with drops other members broadcast. */
    public interface DropHandler {
        void apply(Drop drop);
    }

    private final Settings settings;
    private final PeerAuth auth;
    private final Clock clock;
    private final Map<String, Long> avoidedUntil = new ConcurrentHashMap<>();
    private final Counter peerOk;
    private final Counter peerFailed;
    private final Counter peerBytes;
    private final Counter served;
    private final io.micrometer.core.instrument.Timer peerLatency;
    private final Counter dropsSent;
    private final Counter dropsReceived;

    private volatile List<String> members = List.of();
    private volatile @Nullable String self;
    private @Nullable JChannel channel;
    private @Nullable DropHandler drops;

    public Fleet(Settings settings, MeterRegistry registry, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.auth = new PeerAuth(settings.secret(), clock);
        Gauge.builder("layerproxy.fleet.members", this, f -> f.members.size())
                .description("members of the fleet in this node's view, itself included")
                .register(registry);
        this.peerOk = peerCounter(registry, "ok");
        this.peerFailed = peerCounter(registry, "failed");
        this.peerBytes = Counter.builder("layerproxy.fleet.peer.bytes")
                .baseUnit("bytes")
                .description("block bytes read from the spans' owners")
                .register(registry);
        this.peerLatency = io.micrometer.core.instrument.Timer.builder("layerproxy.fleet.peer.latency")
                .description("time from a span read asked of its owner to the owner's response headers")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        this.served = Counter.builder("layerproxy.fleet.peer.served")
                .description("span reads this member answered for peers, as the spans' owner")
                .register(registry);
        this.dropsSent = Counter.builder("layerproxy.fleet.drops")
                .tag("direction", "sent")
                .description("purges and invalidations broadcast to, or received from, the fleet")
                .register(registry);
        this.dropsReceived = Counter.builder("layerproxy.fleet.drops")
                .tag("direction", "received")
                .register(registry);
    }

    private static Counter peerCounter(MeterRegistry registry, String outcome) {
        return Counter.builder("layerproxy.fleet.peer.requests")
                .tag("outcome", outcome)
                .description("span reads asked of their owner; failed ones were read from S3 instead")
                .register(registry);
    }

    /**
     * Joins the fleet, publishing {@code advertise} (this node's HTTP address) as its identity; drops other members
     * broadcast go to {@code handler}. Returns once the channel is connected (alone, if nobody answered).
     */
    public synchronized void join(URI advertise, DropHandler handler) throws Exception {
        String me = advertise.toString().replaceAll("/+$", "");
        this.drops = handler;
        InetAddress bind = settings.bindHost() == null || settings.bindHost().isEmpty()
                ? InetAddress.getByName("0.0.0.0")
                : InetAddress.getByName(settings.bindHost());
        TCP tcp = new TCP();
        tcp.setBindAddress(bind);
        tcp.setBindPort(settings.bindPort());
        tcp.setPortRange(0);
        Protocol discovery;
        if (settings.dns() != null) {
            discovery = new DNS_PING().setDNSQuery(settings.dns());
        } else {
            discovery = new TCPPING().setInitialHosts(settings.peers()).setPortRange(0);
        }
        AUTH authentication = new AUTH().setAuthToken(new SecretToken(auth.joinProof()));
        GMS gms = new GMS();
        gms.setJoinTimeout(3000);
        gms.printLocalAddress(false); // JGroups' banner goes to stdout; the fleet logs its views itself
        JChannel ch = new JChannel(
                tcp,
                discovery,
                new MERGE3(),
                new FD_SOCK2(),
                new FD_ALL3(),
                new VERIFY_SUSPECT2(),
                new NAKACK2(),
                new UNICAST3(),
                new STABLE(),
                authentication,
                gms,
                new FRAG4());
        ch.addAddressGenerator(() -> ExtendedUUID.randomUUID(me).put(HTTP, me.getBytes(StandardCharsets.UTF_8)));
        ch.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                onView(view);
            }

            @Override
            public void receive(Message msg) {
                onMessage(msg);
            }
        });
        self = me;
        members = List.of(me);
        ch.connect("layerproxy-fleet");
        channel = ch;
        onView(ch.getView());
    }

    private void onView(@Nullable View view) {
        if (view == null) {
            return;
        }
        List<String> urls = new ArrayList<>();
        for (Address member : view.getMembers()) {
            String url = httpOf(member);
            if (url != null) {
                urls.add(url);
            }
        }
        List<String> before = members;
        members = List.copyOf(urls);
        for (String url : urls) {
            if (!before.contains(url)) {
                avoidedUntil.remove(url); // a member that (re)joined is asked again at once
            }
        }
        if (!before.equals(members)) {
            LOG.info("fleet: {} members: {}", members.size(), members);
        }
    }

    private static @Nullable String httpOf(Address member) {
        if (member instanceof ExtendedUUID extended) {
            byte[] url = extended.get(HTTP);
            return url == null ? null : new String(url, StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The fleet now, for the status page. */
    public record Stats(
            @Nullable String self,
            List<String> members,
            int spanBlocks,
            long peerReads,
            long peerFailures,
            long peerBytes,
            long servedToPeers,
            long dropsSent,
            long dropsReceived) {}

    public Stats stats() {
        return new Stats(
                self,
                members,
                settings.spanBlocks(),
                (long) peerOk.count(),
                (long) peerFailed.count(),
                (long) peerBytes.count(),
                (long) served.count(),
                (long) dropsSent.count(),
                (long) dropsReceived.count());
    }

    /** This node's HTTP address as the fleet knows it; null before {@link #join}. */
    public @Nullable String self() {
        return self;
    }

    /** The members in this node's view (HTTP addresses), itself included. */
    public List<String> members() {
        return members;
    }

    int spanBlocks() {
        return settings.spanBlocks();
    }

    /** The member that owns {@code spanId}, or null when it is this node (or it is alone). */
    @Nullable
    String peerOwning(String spanId) {
        List<String> view = members;
        String me = self;
        if (me == null || view.size() < 2) {
            return null;
        }
        String owner = Rendezvous.owner(spanId, view);
        if (owner.equals(me)) {
            return null;
        }
        Long until = avoidedUntil.get(owner);
        if (until != null) {
            if (until > clock.millis()) {
                return null;
            }
            avoidedUntil.remove(owner, until);
        }
        return owner;
    }

    /** A peer failed or timed out: its spans are read from S3 for a while. */
    void avoid(String peer, String why) {
        peerFailed.increment();
        if (avoidedUntil.put(peer, clock.millis() + AVOID_MILLIS) == null) {
            LOG.warn("fleet: reading from {} failed ({}); reading its spans from S3 for {} s", peer, why, 30);
        }
    }

    void peerRead(long bytes) {
        peerOk.increment();
        peerBytes.increment(bytes);
    }

    /** The header value a peer request for {@code range} of {@code key} carries. */
    String signPeer(ObjectKey key, String range) {
        return auth.sign("GET", PeerOrigin.signed(key, range), "");
    }

    void peerAnswered(long nanos) {
        peerLatency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** This member answered a span read for a peer. */
    public void servedPeer() {
        served.increment();
    }

    /** Whether a request's {@link #PEER_HEADER} value proves it came from a member asking for this key and range. */
    public boolean verifyPeer(@Nullable String header, ObjectKey key, @Nullable String range) {
        return header != null && range != null && auth.verify(header, "GET", PeerOrigin.signed(key, range), "");
    }

    /** Tells every other member to apply {@code drop}; a drop this node is applying for another is not sent back. */
    public void broadcast(Drop drop) {
        JChannel ch = channel;
        if (ch == null || Boolean.TRUE.equals(APPLYING.get()) || members.size() < 2) {
            return;
        }
        try {
            var bytes = new ByteArrayOutputStream();
            var out = new DataOutputStream(bytes);
            out.writeBoolean(drop.prefix());
            out.writeUTF(drop.bucket());
            out.writeUTF(drop.name());
            out.writeUTF(drop.versionId() == null ? "" : drop.versionId());
            ch.send(new BytesMessage(null, bytes.toByteArray()));
            dropsSent.increment();
        } catch (Exception e) {
            LOG.warn("fleet: broadcasting the drop of {}/{} failed: {}", drop.bucket(), drop.name(), e.toString());
        }
    }

    private void onMessage(Message msg) {
        JChannel ch = channel;
        if (ch != null && ch.getAddress() != null && ch.getAddress().equals(msg.getSrc())) {
            return; // our own broadcast
        }
        DropHandler handler = drops;
        try (var in = new DataInputStream(
                new java.io.ByteArrayInputStream(msg.getArray(), msg.getOffset(), msg.getLength()))) {
            boolean prefix = in.readBoolean();
            String bucket = in.readUTF();
            String name = in.readUTF();
            String version = in.readUTF();
            dropsReceived.increment();
            if (handler != null) {
                APPLYING.set(Boolean.TRUE);
                try {
                    handler.apply(new Drop(prefix, bucket, name, version.isEmpty() ? null : version));
                } finally {
                    APPLYING.remove();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("fleet: a drop from {} could not be applied: {}", msg.getSrc(), e.toString());
        }
    }

    @Override
    public synchronized void close() {
        JChannel ch = channel;
        channel = null;
        if (ch != null) {
            ch.close();
        }
        members = List.of();
    }
}
