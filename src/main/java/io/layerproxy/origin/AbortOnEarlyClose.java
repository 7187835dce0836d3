package io.layerproxy.origin;

import software.amazon.awssdk.core.ResponseInputStream;

/** Closing before the end aborts the HTTP connection instead of draining the rest of a large body. */
final class AbortOnEarlyClose extends java.io.FilterInputStream {
    private final ResponseInputStream<?> response;
    private long remaining;

    AbortOnEarlyClose(ResponseInputStream<?> response, long length) {
        super(response);
        this.response = response;
        this.remaining = length;
    }

    @Override
    public int read() throws java.io.IOException {
        int b = super.read();
        if (b >= 0) {
            remaining--;
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws java.io.IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            remaining -= n;
        }
        return n;
    }

    @Override
    public void close() throws java.io.IOException {
        if (remaining > 0) {
            response.abort();
        }
        super.close();
    }
}
