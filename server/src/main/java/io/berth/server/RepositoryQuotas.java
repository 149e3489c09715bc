package io.berth.server;

import io.berth.registry.Quotas;
import io.berth.server.auth.RepositoryGlob;
import java.util.ArrayList;
import java.util.List;

/** The {@code quotas} rules of the config: every rule whose globs match a repository applies to it. */
public final class RepositoryQuotas implements Quotas {
    private record Rule(List<RepositoryGlob> repositories, Quota quota) {
    }

    private final List<Rule> rules = new ArrayList<>();
    private final List<QuotaRule> config;

    public RepositoryQuotas(List<QuotaRule> config) {
        this.config = List.copyOf(config);
        for (int i = 0; i < config.size(); i++) {
            QuotaRule rule = config.get(i);
            String name = "'" + String.join(", ", rule.repositories()) + "'";
            try {
                rules.add(new Rule(rule.repositories().stream().map(RepositoryGlob::new).toList(),
                        new Quota(name, rule.maxBytes(), rule.maxImages())));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("quotas rule " + (i + 1) + ": " + e.getMessage());
            }
        }
    }

    @Override
    public List<Quota> of(String repository) {
        return rules.stream().filter(rule -> rule.repositories().stream().anyMatch(glob -> glob.matches(repository)))
                .map(Rule::quota).toList();
    }

    /** The rules as configured. */
    public List<QuotaRule> rules() {
        return config;
    }
}
