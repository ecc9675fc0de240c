"""What the dashboard counts: periods in the clinic's time zone, the charts' queries
(aggregated in PostgreSQL, most from daily roll-ups that triggers keep in the
transaction of every change), the frozen results, the matplotlib figures and the exports.

The rest of the program uses :class:`~.queries.AnalyticsService` (the figures),
:mod:`.periods` (which days a period covers), :mod:`.charts` (drawing on a Figure),
:mod:`.export` (PDF/PNG/CSV) and :class:`~.overview.OverviewService` (home-page figures).
What counts is written once in :mod:`.counting`; the queries, results and drawings of
the charts are cut by theme: appointments (volume, popularity, attendance,
utilisation), finance (revenue, medical aid) and quality (satisfaction, turnaround).
"""
