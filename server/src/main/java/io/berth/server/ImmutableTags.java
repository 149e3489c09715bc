package io.berth.server;

import io.berth.registry.TagImmutability;
import io.berth.server.auth.RepositoryGlob;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code immutableTags} rules of the config, asked by the registry on every tag push. A tag is immutable when
 * some rule covers its repository and none of that rule's exceptions matches it; the first such rule is the one
 * named to the client.
 */
final class ImmutableTags implements TagImmutability {
    private final List<Rule> rules = new ArrayList<>();

    /** Tags carry no slashes, so a repository glob over a tag reads {@code *} as "any run of characters". */
    private record Rule(List<RepositoryGlob> repositories, List<RepositoryGlob> except, String description) {
        boolean keeps(String repository, String tag) {
            return repositories.stream().anyMatch(glob -> glob.matches(repository))
                    && except.stream().noneMatch(glob -> glob.matches(tag));
        }
    }

    ImmutableTags(List<ImmutableTagsRule> config) {
        for (int i = 0; i < config.size(); i++) {
            ImmutableTagsRule rule = config.get(i);
            String description = "immutableTags rule " + (i + 1) + ": " + String.join(", ", rule.repositories())
                    + (rule.except().isEmpty() ? "" : ", except " + String.join(", ", rule.except()));
            try {
                rules.add(new Rule(rule.repositories().stream().map(RepositoryGlob::new).toList(),
                        rule.except().stream().map(RepositoryGlob::new).toList(), description));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("immutableTags rule " + (i + 1) + ": " + e.getMessage());
            }
        }
    }

    @Override
    public Optional<String> rule(String repository, String tag) {
        return rules.stream().filter(rule -> rule.keeps(repository, tag)).map(Rule::description).findFirst();
    }
}
