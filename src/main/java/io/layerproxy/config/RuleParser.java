package io.layerproxy.config;

import io.layerproxy.CacheRule;
import io.layerproxy.ObjectKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses {@code --rule} values: {@code bucket/prefix:setting=value,...}, several per text separated by {@code ;}
 * (how {@code LAYERPROXY_RULES} and the {@code rules} init-param hold them). Every message names the rule.
 */
final class RuleParser {
    private static final String SETTINGS =
            "max-age, negative-ttl, max-object-size, cache, stale-while-revalidate," + " origin-cache-control";

    private RuleParser() {}

    static List<CacheRule> parse(List<String> texts, Set<String> buckets) {
        List<CacheRule> rules = new ArrayList<>();
        Set<String> scopes = new HashSet<>();
        for (String text : texts) {
            for (String item : text.split(";")) {
                if (item.isBlank()) {
                    continue;
                }
                CacheRule rule = parseOne(item.trim());
                if (!buckets.isEmpty() && !buckets.contains(rule.bucket())) {
                    throw bad(item, "its bucket '" + rule.bucket() + "' is not in buckets " + buckets);
                }
                if (!scopes.add(rule.bucket() + "/" + rule.prefix())) {
                    throw bad(item, "another rule has the same bucket and prefix");
                }
                rules.add(rule);
            }
        }
        return rules;
    }

    private static CacheRule parseOne(String text) {
        // the settings hold no ':', a key prefix may
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw bad(text, "expected bucket/prefix:setting=value,... (settings: " + SETTINGS + ")");
        }
        String scope = text.substring(0, colon).trim();
        int slash = scope.indexOf('/');
        String bucket = slash < 0 ? scope : scope.substring(0, slash);
        if (!ObjectKey.isValidBucket(bucket)) {
            throw bad(text, "'" + bucket + "' is not a bucket name");
        }
        CacheRule rule = CacheRule.of(bucket, slash < 0 ? "" : scope.substring(slash + 1));
        String settings = text.substring(colon + 1).trim();
        if (settings.isEmpty()) {
            throw bad(text, "no settings (settings: " + SETTINGS + ")");
        }
        for (String setting : settings.split(",")) {
            int eq = setting.indexOf('=');
            if (eq < 0) {
                throw bad(text, "'" + setting.trim() + "' is not setting=value");
            }
            String name = setting.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = setting.substring(eq + 1).trim();
            rule = switch (name) {
                case "max-age" -> rule.withMaxAge(seconds(text, name, value));
                case "negative-ttl" -> rule.withNegativeTtl(seconds(text, name, value));
                case "stale-while-revalidate" -> rule.withStaleWhileRevalidate(seconds(text, name, value));
                case "max-object-size" -> rule.withMaxObjectSize(size(text, value));
                case "cache" -> rule.withCache(onOff(text, value));
                case "origin-cache-control" -> rule.withHonorOrigin(honor(text, value));
                default -> throw bad(text, "unknown setting '" + name + "' (settings: " + SETTINGS + ")");
            };
        }
        return rule;
    }

    private static Duration seconds(String rule, String name, String value) {
        try {
            long s = Long.parseLong(value);
            if (s >= 0 && s <= 365L * 24 * 3600) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(rule, name + " must be a number of seconds >= 0, was: " + value);
    }

    private static long size(String rule, String value) {
        try {
            return ConfigParser.size(Option.MAX_OBJECT_SIZE, value, 0);
        } catch (ConfigException e) {
            throw bad(rule, "max-object-size must be a whole number of bytes (like 100m, 1g), was: " + value);
        }
    }

    private static boolean onOff(String rule, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "on", "true", "yes" -> true;
            case "off", "false", "no" -> false;
            default -> throw bad(rule, "cache must be on or off, was: " + value);
        };
    }

    private static boolean honor(String rule, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "honor", "honour" -> true;
            case "ignore" -> false;
            default -> throw bad(rule, "origin-cache-control must be honor or ignore, was: " + value);
        };
    }

    private static ConfigException bad(String rule, String why) {
        return new ConfigException("rule '" + rule + "': " + why);
    }
}
