package io.layerproxy.config;

/** A configuration value is wrong; the message names the option and the value, and is safe to show. */
public final class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
