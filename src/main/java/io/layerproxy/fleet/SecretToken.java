package io.layerproxy.fleet;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.security.MessageDigest;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;

/**
 * JGroups' AUTH token of a fleet: a member joins only with the proof of the same secret ({@link PeerAuth#joinProof}).
 * Public with a no-argument constructor because JGroups makes the joiner's copy by reflection.
 */
public final class SecretToken extends AuthToken {
    private byte[] proof = new byte[0];

    public SecretToken() {}

    SecretToken(byte[] proof) {
        this.proof = proof.clone();
    }

    @Override
    public String getName() {
        return SecretToken.class.getName();
    }

    @Override
    public int size() {
        return Integer.BYTES + proof.length;
    }

    @Override
    public boolean authenticate(AuthToken token, Message msg) {
        return token instanceof SecretToken other && proof.length > 0 && MessageDigest.isEqual(proof, other.proof);
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(proof.length);
        out.write(proof);
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > 1024) {
            throw new IOException("bad fleet token length " + length);
        }
        proof = new byte[length];
        in.readFully(proof);
    }
}
