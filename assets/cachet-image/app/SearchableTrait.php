<?php

/*
 * This file is part of Cachet.
 *
 * (c) Alt Three Services Limited
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/*
 * Cachet 2.3.15's app/Models/Traits/SearchableTrait.php with the fix for its unauthenticated SQL
 * injection (CVE-2021-39165). GET /api/v1/components and /api/v1/incidents pass every query
 * parameter here; upstream handed them all to where() once any one of them was searchable, and
 * Laravel's array form of where() lets a numeric key carry [column, operator, value, boolean], whose
 * boolean the grammar writes into the SQL as it is. Here only searchable columns with scalar values
 * reach where(), as the fiveai/Cachet fork fixed it (commit 27bca828). Runs on the image's PHP 7.1.
 */

namespace CachetHQ\Cachet\Models\Traits;

use Illuminate\Database\Eloquent\Builder;

trait SearchableTrait
{
    /**
     * Adds a search scope: equality on the model's searchable columns, nothing else.
     *
     * @param \Illuminate\Database\Eloquent\Builder $query
     * @param array                                 $search
     *
     * @return \Illuminate\Database\Eloquent\Builder
     */
    public function scopeSearch(Builder $query, array $search = [])
    {
        $allowed = array_filter(array_intersect_key($search, array_flip($this->searchable)), 'is_scalar');

        if (empty($allowed)) {
            return $query;
        }

        return $query->where($allowed);
    }
}
