package io.layerproxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a span of one version block by block: each block from the fastest layer holding it, else from one
 * streaming ranged origin read that runs from the first missing block to the end of the span and is cut into
 * blocks as bytes arrive. Only one block is held at a time, so memory does not grow with the object.
 */
final class BlockReader implements ObjectBody {
    private static final Logger LOG = LoggerFactory.getLogger(BlockReader.class);

    private final LayerProxy proxy;
    private final ObjectKey key;
    private final ObjectInfo info;
    private final long start;
    private final long end;
    private final int blockSize;
    private final long firstIndex;
    private final long lastIndex;

    private byte[] firstBlock;
    private String firstLayer;
    private InputStream originStream;
    private long originNextIndex;

    BlockReader(LayerProxy proxy, ObjectKey key, ObjectInfo info, long start, long end) {
        this.proxy = proxy;
        this.key = key;
        this.info = info;
        this.start = start;
        this.end = end;
        this.blockSize = proxy.blockSize();
        this.firstIndex = start / blockSize;
        this.lastIndex = end == start ? firstIndex - 1 : (end - 1) / blockSize;
        if (end > start) {
            boolean opened = false;
            try {
                firstBlock = fetch(firstIndex);
                opened = true;
            } finally {
                if (!opened) {
                    close();
                }
            }
        }
    }

    @Override
    public String firstLayer() {
        return firstLayer;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        for (long index = firstIndex; index <= lastIndex; index++) {
            byte[] block = index == firstIndex ? firstBlock : fetch(index);
            firstBlock = null;
            long blockStart = index * blockSize;
            int from = (int) (Math.max(start, blockStart) - blockStart);
            int to = (int) (Math.min(end, blockStart + block.length) - blockStart);
            out.write(block, from, to - from);
        }
    }

    @Override
    public void close() {
        if (originStream != null) {
            try {
                originStream.close();
            } catch (IOException e) {
                LOG.debug("closing the origin stream for {}: {}", key, e.toString());
            }
            originStream = null;
        }
    }

    private byte[] fetch(long index) {
        if (originStream != null && originNextIndex == index) {
            return readFromOrigin(index);
        }
        int expected = expectedLength(index);
        String blockKey = proxy.blockKey(key, info, index);
        var layers = proxy.layers();
        for (int i = 0; i < layers.size(); i++) {
            GuardedLayer layer = layers.get(i);
            byte[] block = layer.get(blockKey);
            if (block == null) {
                continue;
            }
            if (block.length != expected) {
                // a block of the wrong length can only be damage: never serve it
                LOG.warn("dropping block {} of {} from the {} layer: {} bytes, expected {}", index, key,
                        layer.name(), block.length, expected);
                layer.remove(blockKey);
                continue;
            }
            for (int j = 0; j < i; j++) {
                layers.get(j).put(blockKey, block);
            }
            noteSource(layer.name());
            return block;
        }
        openOrigin(index);
        return readFromOrigin(index);
    }

    private void openOrigin(long index) {
        close();
        long first = index * blockSize;
        long last = Math.min(info.size(), (lastIndex + 1) * blockSize) - 1;
        try {
            originStream = proxy.origin().read(key, info.etag(), first, last);
        } catch (OriginException e) {
            if (e.kind() == OriginException.Kind.CHANGED) {
                proxy.invalidate(key);
            }
            throw e;
        }
        originNextIndex = index;
    }

    private byte[] readFromOrigin(long index) {
        int expected = expectedLength(index);
        byte[] block;
        try {
            block = originStream.readNBytes(expected);
        } catch (IOException e) {
            close();
            throw new OriginException(OriginException.Kind.UNAVAILABLE,
                    "origin stream for " + key + " failed in block " + index, e);
        }
        if (block.length != expected) {
            close();
            throw new OriginException(OriginException.Kind.BAD_RESPONSE, "origin body for " + key + " ended "
                    + block.length + " bytes into block " + index + " of " + expected + " bytes");
        }
        originNextIndex = index + 1;
        String blockKey = proxy.blockKey(key, info, index);
        for (GuardedLayer layer : proxy.layers()) {
            layer.put(blockKey, block);
        }
        noteSource(LayerProxy.ORIGIN);
        return block;
    }

    private int expectedLength(long index) {
        return (int) Math.min(blockSize, info.size() - index * blockSize);
    }

    private void noteSource(String layer) {
        if (firstLayer == null) {
            firstLayer = layer;
        }
    }
}
