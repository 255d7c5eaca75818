<?php

/*
 * Cachet's database connection outside a booted Laravel, shared by the entry point's steps (db.php)
 * and the load balancer's readiness check (ready.php): Laravel's MySqlConnector with Cachet's
 * config/database.php (TLS verified against the RDS CA, the password from DB_SECRET_FILE), so these
 * connect exactly as Cachet does. Runs on the image's PHP 7.1: no syntax newer than 7.1 here.
 *
 * CACHET_ROOT (default /var/www/html) is where Cachet lives.
 */

// config/database.php names database_path() in a default; outside a booted Laravel it is just this.
if (!function_exists('database_path')) {
    function database_path($path = '')
    {
        return (getenv('CACHET_ROOT') ?: '/var/www/html').'/database'.($path ? '/'.$path : '');
    }
}

function cachet_root()
{
    return getenv('CACHET_ROOT') ?: '/var/www/html';
}

require_once cachet_root().'/vendor/autoload.php';

/**
 * A new connection as Cachet makes it; $timeoutSeconds, when given, bounds the connect (PDO's
 * ATTR_TIMEOUT), so a check gives up before its caller does.
 */
function cachet_connect($timeoutSeconds = null)
{
    $config = require cachet_root().'/config/database.php';
    $mysql = $config['connections']['mysql'];
    if ($timeoutSeconds !== null) {
        $mysql['options'][PDO::ATTR_TIMEOUT] = $timeoutSeconds;
    }
    $connector = new Illuminate\Database\Connectors\MySqlConnector();

    return $connector->connect($mysql);
}
