<?php

/*
 * Cachet 2.3.15's config/database.php with two changes for Aurora MySQL on AWS (the rest is as
 * upstream). Runs on the image's PHP 7.1: no syntax newer than 7.1 here.
 *
 * 1. TLS with verification. The cluster requires secure transport, so PDO connects with TLS and
 *    checks the server certificate against the RDS CA bundle (DB_SSL_CA, baked into the image) and
 *    the host name. Upstream sets no TLS options, so Aurora refuses it.
 * 2. The user name and password are read from DB_SECRET_FILE, a database secret as JSON
 *    ({"username": ..., "password": ...}: the application user's, which Secrets Manager rotates by
 *    alternating two users; the master's for the schema step), every time Laravel builds this
 *    configuration: each web request and each queued job (the worker runs queue:listen, one process
 *    per job). The instance rewrites that file when the secret changes, so the next connection uses
 *    the new credentials. They never pass through .env, sed or a shell. Without a "username" in the
 *    file, DB_USERNAME names the user.
 */

$cachetDbSecret = function () {
    $file = getenv('DB_SECRET_FILE');
    if ($file === false || $file === '') {
        return ['username' => env('DB_USERNAME', null), 'password' => env('DB_PASSWORD', null)];
    }
    $json = @file_get_contents($file);
    if ($json === false) {
        throw new RuntimeException("DB_SECRET_FILE: cannot read {$file}; the instance's cachet-db-secret refresher writes it");
    }
    $secret = json_decode($json, true);
    if (!is_array($secret) || !isset($secret['password']) || !is_string($secret['password'])) {
        throw new RuntimeException("DB_SECRET_FILE: {$file} is not a database secret JSON (an object with a string \"password\")");
    }
    $username = isset($secret['username']) && is_string($secret['username']) ? $secret['username'] : env('DB_USERNAME', null);

    return ['username' => $username, 'password' => $secret['password']];
};
$cachetDbCredentials = env('DB_DRIVER') === 'mysql' ? $cachetDbSecret() : ['username' => env('DB_USERNAME', null), 'password' => null];

$cachetDbTlsOptions = function () {
    $ca = env('DB_SSL_CA', '/etc/ssl/certs/rds-global-bundle.pem');
    if (!is_readable($ca)) {
        throw new RuntimeException("DB_SSL_CA: cannot read the CA bundle {$ca}");
    }

    return [
        PDO::MYSQL_ATTR_SSL_CA                 => $ca,
        PDO::MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => true,
    ];
};

return [

    'fetch' => PDO::FETCH_CLASS,

    'default' => env('DB_DRIVER', 'sqlite'),

    'connections' => [

        'sqlite' => [
            'driver'   => 'sqlite',
            'database' => env('DB_DATABASE', database_path('database.sqlite')),
            'prefix'   => env('DB_PREFIX', null),
        ],

        'mysql' => [
            'driver'    => 'mysql',
            'host'      => env('DB_HOST', null),
            'database'  => env('DB_DATABASE', null),
            'username'  => $cachetDbCredentials['username'],
            'password'  => $cachetDbCredentials['password'],
            'port'      => env('DB_PORT', '3306'),
            'charset'   => 'utf8',
            'collation' => 'utf8_unicode_ci',
            'prefix'    => env('DB_PREFIX', null),
            'strict'    => false,
            'engine'    => null,
            'options'   => env('DB_DRIVER') === 'mysql' ? $cachetDbTlsOptions() : [],
        ],

        'pgsql' => [
            'driver'   => 'pgsql',
            'host'     => env('DB_HOST', null),
            'database' => env('DB_DATABASE', null),
            'username' => env('DB_USERNAME', null),
            'password' => env('DB_PASSWORD', null),
            'port'     => env('DB_PORT', '5432'),
            'charset'  => 'utf8',
            'prefix'   => env('DB_PREFIX', null),
            'schema'   => env('DB_SCHEMA', 'public'),
        ],

        'sqlsrv' => [
            'driver'   => 'sqlsrv',
            'host'     => env('DB_HOST', null),
            'database' => env('DB_DATABASE', null),
            'username' => env('DB_USERNAME', null),
            'password' => env('DB_PASSWORD', null),
            'port'     => env('DB_PORT', null),
            'prefix'   => env('DB_PREFIX', null),
        ],

    ],

    'migrations' => 'migrations',

    'redis' => [

        'cluster' => false,

        'default' => [
            'host'     => env('REDIS_HOST', '127.0.0.1'),
            'port'     => env('REDIS_PORT', 6379),
            'database' => env('REDIS_DATABASE', 0),
            'password' => env('REDIS_PASSWORD', null),
        ],

    ],

];
