<?php

/*
 * Readiness of this Cachet instance, for the load balancer's health check (nginx serves it at
 * /readyz, uncached): a new connection as Cachet makes it (TLS, the current password from
 * DB_SECRET_FILE) and a query on Cachet's settings table. 200 when both work; 503 otherwise, with the
 * cause in the log (stderr through PHP-FPM) and never in the answer. The connect gives up after
 * 2 s, well inside the load balancer's 5 s timeout. Runs on the image's PHP 7.1.
 */

header('Content-Type: application/json');
header('Cache-Control: no-store');

try {
    require __DIR__.'/connect.php';
    $table = (getenv('DB_PREFIX') ?: '').'settings';
    cachet_connect(2)->query("SELECT 1 FROM `{$table}` LIMIT 1")->fetchAll();
    echo json_encode(['status' => 'ok']), "\n";
} catch (Throwable $e) {
    error_log('cachet-ready: not ready: '.get_class($e).': '.$e->getMessage());
    http_response_code(503);
    echo json_encode(['status' => 'unavailable', 'reason' => 'database']), "\n";
}
