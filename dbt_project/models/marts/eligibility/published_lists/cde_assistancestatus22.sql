{{ config(materialized='view') }}
-- depends_on: {{ ref('cde_list_layouts') }}
{{ cde_da_list(2022) }}
