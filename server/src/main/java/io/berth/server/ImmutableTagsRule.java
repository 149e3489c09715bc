package io.berth.server;

import java.util.List;

/**
 * Tags in repositories matching any of {@code repositories} cannot be moved to another manifest once set, except
 * tags matching one of {@code except} (globs over the tag, {@code *} for any run of characters).
 */
public record ImmutableTagsRule(List<String> repositories, List<String> except) {
    public ImmutableTagsRule {
        repositories = List.copyOf(repositories);
        except = List.copyOf(except);
    }
}
