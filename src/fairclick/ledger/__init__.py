"""The double-entry ledger: billing valid clicks, budgets and caps, hold, reversals and
clawbacks, payouts (SEPA pain.001) and statements. See docs/ledger.md."""
