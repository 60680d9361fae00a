"""Validated clicks: the system of record of every click, its verdict, reasons and billing."""
