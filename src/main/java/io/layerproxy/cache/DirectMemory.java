package io.layerproxy.cache;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/** How much direct memory this JVM may allocate: -XX:MaxDirectMemorySize, else (its default) the maximum heap. */
final class DirectMemory {
    private DirectMemory() {}

    static long max() {
        try {
            String set = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .getVMOption("MaxDirectMemorySize")
                    .getValue();
            long bytes = Long.parseLong(set);
            if (bytes > 0) {
                return bytes;
            }
        } catch (RuntimeException | LinkageError e) {
            // not a HotSpot JVM: assume the default
        }
        return Runtime.getRuntime().maxMemory();
    }
}
